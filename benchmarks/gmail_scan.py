"""Gmail scan benchmark against the wire-accurate fake: how close to the quota floor do we get?

1,000 messages, 30 ms latency per HTTP request, a per-user quota of 250 units/s. The floor is
the time the quota alone forces: units spent / 250. Printed next to a one-request-per-message
baseline (what a naive client does) in the same run, then an incremental rescan's requests.

    python benchmarks/gmail_scan.py [--messages 1000] [--latency 0.03] [--quota 250]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

# This folder holds queue.py, which would shadow the standard library's queue module.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fakes speak http on loopback

from fakes import FakeGmail, FakeGoogleOAuth  # noqa: E402
from gmail_kit import sign_in  # noqa: E402
from guard_inbox.mail.gmail.auth import LockedCredentials  # noqa: E402
from guard_inbox.mail.gmail.client import GmailClient  # noqa: E402
from guard_inbox.mail.gmail.quota import QuotaLimiter  # noqa: E402
from guard_inbox.mail.gmail.source import GmailSource  # noqa: E402

ADDRESS = "bench@example.org"
QUERY = "category:promotions"


def message(i: int) -> bytes:
    return (f"From: Shop <news@shop.example>\r\nTo: {ADDRESS}\r\nSubject: Offer {i}\r\n"
            f"Message-ID: <bench-{i}@shop.example>\r\nContent-Type: text/plain\r\n\r\n"
            f"Use code BENCH{i} for 10% off.\r\n").encode()



def ours(gmail: FakeGmail, info: dict[str, Any], quota: float) -> tuple[float, int, int, str]:
    credentials = LockedCredentials.from_info(ADDRESS, info, None)
    limiter = QuotaLimiter(int(quota * 60))
    gmail.reset_counters()
    start = time.perf_counter()
    with GmailClient(ADDRESS, lambda: credentials, gmail.base_url, limiter) as client:
        source = GmailSource(client, QUERY)
        ids = source.list_ids(frozenset())
        fetched = sum(1 for _ in source.fetch(ids))
    elapsed = time.perf_counter() - start
    assert fetched == len(ids)
    return elapsed, gmail.requests, gmail.units_used, source.sync_state()


def baseline(gmail: FakeGmail, info: dict[str, Any]) -> tuple[float, int, int]:
    """One messages.get per HTTP request, retrying a 429 after 1 s, as naive code does."""
    from googleapiclient.discovery import build
    from googleapiclient.errors import HttpError

    credentials = LockedCredentials.from_info(ADDRESS, info, None)
    service = build("gmail", "v1", credentials=credentials, static_discovery=True,
                    cache_discovery=False, client_options={"api_endpoint": gmail.base_url})
    gmail.reset_counters()
    start = time.perf_counter()
    ids: list[str] = []
    token = None
    while True:
        page = service.users().messages().list(userId="me", q=QUERY, maxResults=500,
                                               pageToken=token).execute()
        ids += [m["id"] for m in page.get("messages", [])]
        token = page.get("nextPageToken")
        if not token:
            break
    for mid in ids:
        while True:
            try:
                service.users().messages().get(userId="me", id=mid, format="raw").execute()
                break
            except HttpError as exc:
                if exc.resp.status != 429:
                    raise
                time.sleep(1.0)
    elapsed = time.perf_counter() - start
    service.close()
    return elapsed, gmail.requests, gmail.units_used


def incremental(gmail: FakeGmail, info: dict[str, Any], history: str, quota: float) -> int:
    credentials = LockedCredentials.from_info(ADDRESS, info, None)
    gmail.reset_counters()
    with GmailClient(ADDRESS, lambda: credentials, gmail.base_url, QuotaLimiter(int(quota * 60))) as c:
        ids = GmailSource(c, QUERY, history).list_ids(frozenset())
    assert ids == []
    return gmail.requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.03)
    parser.add_argument("--quota", type=float, default=250.0, help="units per second")
    args = parser.parse_args()
    tokens: set[str] = set()
    with FakeGoogleOAuth(valid_tokens=tokens) as oauth, FakeGmail(
        valid_tokens=tokens, email_address=ADDRESS, latency=args.latency,
        quota_units_per_second=args.quota,
    ) as gmail:
        for i in range(args.messages):
            gmail.add_message(message(i))
        info = sign_in(oauth)
        time.sleep(1.1)  # let the fake's quota bucket refill after sign-in
        wall, requests, units, history = ours(gmail, info, args.quota)
        time.sleep(1.1)
        base_wall, base_requests, base_units = baseline(gmail, info)
        time.sleep(1.1)
        rescan_requests = incremental(gmail, info, history, args.quota)

    print(f"{args.messages} messages, {args.latency * 1000:.0f} ms latency, quota "
          f"{args.quota:.0f} units/s")
    print(f"{'':<34}{'wall s':>9}{'requests':>10}{'units':>8}{'floor s':>9}{'x floor':>9}")
    for name, w, r, u in (("guard-inbox (batched, paced)", wall, requests, units),
                          ("baseline: 1 request per message", base_wall, base_requests, base_units)):
        floor = u / args.quota
        print(f"{name:<34}{w:>9.2f}{r:>10}{u:>8}{floor:>9.2f}{w / floor:>9.2f}")
    print(f"incremental rescan, no new mail: {rescan_requests} HTTP requests (target <= 3)")
    print(f"target: guard-inbox <= 1.10x the quota floor -> "
          f"{'met' if wall <= 1.10 * units / args.quota else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
