"""How fast the Overview tab's figures come back with 100,000 codes (issue 16, item 3).

A real SQLite file (the app's pragmas and schema) holds ``--codes`` codes over ``--shops``
shops, expiring from half a year ago to half a year ahead, a tenth of them used, plus
``--scans`` finished scans. Timed: ``AppApi.overview()`` (what the tab asks on each refresh)
and each of its queries alone; baseline in the same run: ``AppApi.code_ids()``, what the codes
list asks on each of its refreshes. Then what the UI thread does with the answer: draw the
three charts of the tab (offscreen), the only part of a refresh that runs there.

    python benchmarks/overview.py [--codes 100000] [--shops 400] [--scans 2000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

# This folder holds queue.py, which would shadow the standard library's queue module.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from guard_inbox.bootstrap.app_api import CoreApi  # noqa: E402
from guard_inbox.bootstrap.core import Core  # noqa: E402
from guard_inbox.domain.folding import fold  # noqa: E402
from guard_inbox.domain.models import AccountKind, CodeQuery, JobState  # noqa: E402
from guard_inbox.domain.overview import (
    Overview,  # noqa: E402
    day_starts,  # noqa: E402
)
from guard_inbox.extraction.pipeline import ExtractionPipeline  # noqa: E402
from guard_inbox.paths import AppPaths  # noqa: E402
from guard_inbox.services.sources import LocalSourceFactory  # noqa: E402
from guard_inbox.settings import Settings  # noqa: E402
from guard_inbox.storage.clock import utcnow  # noqa: E402
from guard_inbox.storage.overview_queries import OverviewQueries  # noqa: E402
from guard_inbox.storage.tables import CodeRow, JobRow  # noqa: E402

BATCH = 100  # rows per INSERT (SQLite's old 999-parameter limit, 9 columns a row)
DISCOUNTS = ("10% off", "15% off", "20% off", "25% OFF", "$5 off", "€10 off", "Free shipping", "")


def seed(core: Core, codes: int, shops: int, scans: int) -> None:
    """Rows written straight into the tables: the path scans take is timed elsewhere
    (benchmarks/ui_load.py); here only the shape of the data matters."""
    rng = random.Random(16)
    now = utcnow()
    accounts = [core.repository.add_account(AccountKind.MBOX, f"/mail/box{n}.mbox", f"Box {n}").id
                for n in range(3)]
    database = core.repository.database
    rows = []
    for i in range(codes):
        shop = f"Shop {int(rng.paretovariate(1.2)) % shops}"  # a few big shops, a long tail
        expires = None if rng.random() < 0.2 else now + timedelta(hours=rng.uniform(-4380, 4380))
        rows.append({
            "account": accounts[i % 3], "code": f"CODE{i:06d}", "code_key": f"code{i:06d}",
            "merchant": shop, "merchant_key": shop.lower(), "shop_key": fold(shop),
            "discount": rng.choice(DISCOUNTS),
            "expires_at": expires, "first_seen": now, "last_seen": now, "used": rng.random() < 0.1,
        })
    with database.write():
        for start in range(0, len(rows), BATCH):
            CodeRow.insert_many(rows[start:start + BATCH]).execute()
        for n in range(scans):
            found = rng.randint(0, 40)
            JobRow.create(account=accounts[n % 3], state=JobState.COMPLETED.value,
                          created_at=now, finished_at=now, scanned=rng.randint(0, 3000),
                          codes_found=found, codes_new=rng.randint(0, found))


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm the page cache and SQLite's statement cache, as a running app has them
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def line(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return (f"{label:<46}{statistics.median(ordered) * 1000:>10.1f}{p95 * 1000:>10.1f}"
            f"{ordered[-1] * 1000:>10.1f}")


def drawing(overview: Overview, repeat: int) -> list[float]:
    """The UI thread's share of a refresh: hand the answer to the view and paint it."""
    from PySide6.QtWidgets import QApplication

    from guard_inbox.ui.taskman import TaskManager
    from guard_inbox.ui.views.overview_view import OverviewView

    app = QApplication.instance() or QApplication([])
    tasks = TaskManager()
    view = OverviewView(_Answer(overview), tasks)
    view.resize(900, 700)
    view.show_overview(overview)
    view.show()
    app.processEvents()

    def draw() -> None:
        view.show_overview(overview)
        for chart in (view.timeline, view.shops, view.scans):
            chart.repaint()  # synchronous: the paint is inside the timing

    times = timed(draw, repeat)
    view.close()
    tasks.wait()
    return times


class _Answer:
    """Gives the view the answer already read (its own reads are timed above)."""

    def __init__(self, overview: Overview) -> None:
        self._overview = overview

    def overview(self, now: datetime | None = None, days: int = 30) -> Overview:
        return self._overview


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--shops", type=int, default=400)
    parser.add_argument("--scans", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gi-overview-") as tmp:
        paths = AppPaths(Path(tmp) / "data").ensure()
        core = Core(paths, Settings(paths.settings_file, env={}), LocalSourceFactory(),
                    ExtractionPipeline())
        try:
            core.open_database()
            began = time.perf_counter()
            seed(core, args.codes, args.shops, args.scans)
            seeded = time.perf_counter() - began
            api = CoreApi(core)
            queries = OverviewQueries(core.repository.database)
            now = datetime.now(UTC)
            starts = day_starts(now.astimezone().date(), 30)
            overview = api.overview()
            results = [
                ("baseline: codes list ids (code_ids)",
                 timed(lambda: api.code_ids(CodeQuery()), args.repeat)),
                ("overview(): everything the tab reads", timed(api.overview, args.repeat)),
                ("  expiring per day and shop (30 days)",
                 timed(lambda: queries.expiring_by_day(now, starts), args.repeat)),
                ("  per shop: counts, discounts (and totals)",
                 timed(lambda: queries.shops(now), args.repeat)),
                ("  latest scans", timed(lambda: queries.recent_scans(14), args.repeat)),
            ]
        finally:
            core.close()
    results.append(("UI thread: draw the answer (3 charts)", drawing(overview, args.repeat)))
    print(f"{os.cpu_count()} cores; {overview.total_codes:,} codes over {overview.shop_count} shops, "
          f"{args.scans:,} scans (seeded in {seeded:.1f} s); {overview.expiring_total:,} codes "
          f"expire in the next 30 days; {args.repeat} runs each")
    print(f"{'query':<46}{'median ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for label, times in results:
        print(line(label, times))
    typical = statistics.median(results[1][1])
    ratio = typical / statistics.median(results[0][1])
    print(f"overview() takes {ratio:.1f}x the codes list's own refresh; target: median <= 250 ms "
          f"(read on a TaskManager thread, never the UI's) -> {'met' if typical <= 0.25 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
