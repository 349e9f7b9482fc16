"""The Overview tab's figures, counted by a real SQLite database through ``AppApi.overview``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, FoundCode, JobState, MailMessage
from guard_inbox.domain.overview import day_starts
from guard_inbox.services.overview import best_discount, discount_size

BERLIN = ZoneInfo("Europe/Berlin")
# Ten days before Germany's clocks go forward (29 March 2026, 02:00 -> 03:00).
NOW = datetime(2026, 3, 19, 12, 0, tzinfo=BERLIN)


@pytest.fixture
def core(make_core: Callable[..., Core]) -> Core:
    return make_core(stages="database")


def store(core: Core, codes: Sequence[FoundCode], address: str = "/mail/a.mbox",
          *, used: Sequence[str] = ()) -> int:
    """Stores ``codes`` as one scan of ``address`` found them; returns the job id."""
    repo = core.repository
    account = repo.find_account(address) or repo.add_account(AccountKind.MBOX, address)
    job = core.job_repository.create(account.id, 100, "manual")
    start = repo.count_codes()
    repo.record_scan_results(account.id, job.id, [
        (MailMessage(provider_id=f"<{start + i}@x>", subject=code.code), [code])
        for i, code in enumerate(codes)
    ])
    for stored in repo.list_codes():
        if stored.code in used:
            repo.set_code_used(stored.id, True)
    return job.id


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def test_codes_are_counted_on_their_local_day_even_across_a_clock_change(core: Core) -> None:
    store(core, [
        FoundCode("A", "Shop", expires=local(20, 0, 30)),  # 23:30 UTC on the 19th
        FoundCode("B", "Shop", expires=local(29, 23, 30)),  # the day the clocks go forward
        FoundCode("C", "Shop", expires=local(30, 0, 30)),  # 22:30 UTC on the 29th (CEST)
        FoundCode("D", "Shop", expires=local(30, 0, 30)),
    ])
    overview = CoreApi(core).overview(NOW)
    assert overview.today == date(2026, 3, 19)
    assert len(overview.expiring) == 30
    assert [d.day for d in overview.expiring[:2]] == [date(2026, 3, 19), date(2026, 3, 20)]
    counts = {d.day.day: d.count for d in overview.expiring if d.count}
    # A fixed UTC+1 offset would put C and D on the 29th: each day has its own offset.
    assert counts == {20: 1, 29: 1, 30: 2}
    assert overview.expiring_total == 4


def test_only_unused_codes_not_yet_expired_within_the_30_days_count(core: Core) -> None:
    store(core, [
        FoundCode("EARLIER", "Shop", expires=local(19, 9)),  # today, but before NOW
        FoundCode("LATER", "Shop", expires=local(19, 18)),  # today, still usable
        FoundCode("USED", "Shop", expires=local(21, 12)),
        FoundCode("LAST", "Shop", expires=local(17, 23, 59, month=4)),  # day 30 (the last)
        FoundCode("BEYOND", "Shop", expires=local(18, 0, 1, month=4)),  # day 31
        FoundCode("NEVER", "Shop"),
    ], used=["USED"])
    overview = CoreApi(core).overview(NOW)
    assert overview.expiring[0].count == 1  # LATER only
    assert overview.expiring[-1].day == date(2026, 4, 17) and overview.expiring[-1].count == 1
    assert overview.expiring_total == 2
    assert overview.total_codes == 6
    assert overview.active_codes == 4  # LATER, LAST, BEYOND, NEVER


def test_a_day_names_its_busiest_shops_and_counts_the_rest(core: Core) -> None:
    shops = {"Alpha": 4, "Beta": 3, "Gamma": 2, "Delta": 1, "Epsilon": 1}
    store(core, [FoundCode(f"{name}{i}", name, expires=local(22, 10 + i))
                 for name, count in shops.items() for i in range(count)])
    day = CoreApi(core).overview(NOW).expiring[3]
    assert day.day == date(2026, 3, 22) and day.count == 11
    assert day.shops == (("Alpha", 4), ("Beta", 3), ("Gamma", 2))
    assert day.more_shops == 2


def test_shops_are_ranked_by_usable_codes_and_show_their_biggest_discount(core: Core) -> None:
    soon, gone = local(25, 12), local(1, 12)
    store(core, [
        FoundCode("A1", "Acme", "10% off", soon), FoundCode("A2", "Acme", "25% off", soon),
        FoundCode("A3", "Acme", "$5 off"), FoundCode("A4", "Acme", "10% off"),
        FoundCode("A5", "Acme", "90% off", gone),  # expired: not offered any more
        FoundCode("B1", "Bolt", "€10 off"), FoundCode("B2", "Bolt", "5% off", gone),
        FoundCode("B3", "Bolt", "", gone), FoundCode("B4", "Bolt", "50% off"),
        FoundCode("C1", "", "Free shipping"),
    ], used=["B4"])
    overview = CoreApi(core).overview(NOW)
    assert overview.shop_count == 3 and overview.total_codes == 10
    acme, bolt, unknown = overview.shops
    assert (acme.merchant, acme.codes, acme.active, acme.used, acme.expired) == ("Acme", 5, 4, 0, 1)
    assert acme.discounts == ("25% off", "10% off", "$5 off")  # biggest first
    assert acme.best_discount == "25% off"
    assert (bolt.merchant, bolt.codes, bolt.active, bolt.used, bolt.expired) == ("Bolt", 4, 1, 1, 2)
    assert bolt.best_discount == "€10 off"  # the used 50% is not on offer
    assert (unknown.merchant, unknown.active, unknown.best_discount) == ("", 1, "Free shipping")


def test_a_discount_with_commas_comes_back_whole(core: Core) -> None:
    store(core, [FoundCode("K1", "Comma", "$10 off, free shipping, today only"),
                 FoundCode("K2", "Comma", "5% off")])
    shop = CoreApi(core).overview(NOW).shops[0]
    assert shop.discounts == ("5% off", "$10 off, free shipping, today only")


def test_a_shop_spelt_with_or_without_accents_or_capitals_is_one_shop(core: Core) -> None:
    """As the codes list groups and filters shops (``shop_key``), so clicks can hand over."""
    soon = local(21, 12)
    store(core, [FoundCode("X1", "Górski", expires=soon), FoundCode("X2", "GORSKI", expires=soon),
                 FoundCode("X3", "gorski")])
    overview = CoreApi(core).overview(NOW)
    assert overview.shop_count == 1 and overview.shops[0].codes == 3
    assert overview.expiring[2].shops[0][1] == 2 and overview.expiring[2].more_shops == 0


def test_latest_finished_scans_oldest_first_with_what_each_found(core: Core) -> None:
    jobs = core.job_repository
    done = store(core, [FoundCode("S1", "Shop"), FoundCode("S2", "Shop")], "/mail/one.mbox")
    jobs.progress(done, total=40, scanned=40, codes_found=2, codes_new=2)
    jobs.finish(done, JobState.COMPLETED)
    again = store(core, [], "/mail/one.mbox")
    jobs.progress(again, total=40, scanned=40, codes_found=2, codes_new=0)
    jobs.finish(again, JobState.COMPLETED)
    failed = store(core, [], "/mail/two.mbox")
    jobs.progress(failed, total=10, scanned=3, codes_found=0, codes_new=0)
    jobs.finish(failed, JobState.FAILED, "mailbox gone")
    store(core, [], "/mail/two.mbox")  # still pending: not a finished scan

    scans = CoreApi(core).overview(NOW).scans
    assert [s.job_id for s in scans] == [done, again, failed]
    first, second, third = scans
    assert (first.account_label, first.scanned, first.found, first.new, first.known) == (
        "/mail/one.mbox", 40, 2, 2, 0)
    assert (second.found, second.new, second.known) == (2, 0, 2)
    assert third.state is JobState.FAILED and third.account_label == "/mail/two.mbox"
    assert first.finished_at is not None and first.finished_at.tzinfo is not None


def test_an_empty_database_is_an_empty_overview(core: Core) -> None:
    overview = CoreApi(core).overview(NOW)
    assert overview.is_empty and overview.expiring_total == 0
    assert len(overview.expiring) == 30 and not overview.shops and not overview.scans


def test_without_a_clock_the_days_start_today_in_local_time(core: Core) -> None:
    soon = datetime.now(UTC) + timedelta(days=3)
    store(core, [FoundCode("SOON", "Shop", expires=soon)])
    overview = CoreApi(core).overview()
    assert overview.today == datetime.now().astimezone().date()
    assert overview.expiring_total == 1
    day = next(d for d in overview.expiring if d.count)
    assert day.day == soon.astimezone().date()


def test_local_midnights_follow_the_zone_of_each_day() -> None:
    starts = day_starts(date(2026, 3, 28), 2, BERLIN)
    assert [s.utcoffset() for s in starts] == [timedelta(hours=1), timedelta(hours=1),
                                               timedelta(hours=2)]


@pytest.mark.parametrize(("texts", "best"), [
    (["10% off", "25 % OFF", "$40 off"], "25 % OFF"),
    (["$5 off", "€12,50 off", "Free shipping"], "€12,50 off"),
    (["Free shipping", "10 % off"], "10 % off"),
    (["Free shipping", "Buy one get one"], "Buy one get one"),  # no size to read: by name
    (["15€ Rabatt", "5 EUR"], "15€ Rabatt"),
    ([], ""),
])
def test_the_biggest_discount_reads_percentages_then_amounts(texts: list[str], best: str) -> None:
    assert best_discount(texts) == best
    assert discount_size("Free shipping") == (0, 0.0)
