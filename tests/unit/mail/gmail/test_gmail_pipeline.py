"""Batches in flight at once: results in order, a bounded lead, failures in order, prompt stop;
and against FakeGmail serving parts one after another, several batches on the wire at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gmail_helpers import promo

from fakes import FakeGmail
from guard_inbox.domain.errors import ReconnectNeeded
from guard_inbox.mail.gmail.client import GmailClient
from guard_inbox.mail.gmail.pipeline import OrderedPipeline, Stopped
from guard_inbox.mail.gmail.quota import QuotaLimiter
from guard_inbox.mail.gmail.source import GmailSource

MakeClient = Callable[..., GmailClient]
QUERY = "category:promotions"


def test_results_come_in_order_whatever_order_workers_finish() -> None:
    def work(chunk: int, stop: threading.Event) -> list[int]:
        time.sleep(0.05 if chunk % 2 == 0 else 0.0)  # even chunks finish last
        return [chunk * 10, chunk * 10 + 1]

    got = list(OrderedPipeline(list(range(8)), work, workers=4, ahead=4))
    assert got == [n for c in range(8) for n in (c * 10, c * 10 + 1)]


def test_workers_stay_a_bounded_number_of_chunks_ahead() -> None:
    started: list[int] = []

    def work(chunk: int, stop: threading.Event) -> list[int]:
        started.append(chunk)
        return [chunk]

    pipeline = OrderedPipeline(list(range(20)), work, workers=3, ahead=3)
    items = iter(pipeline)
    assert next(items) == 0
    time.sleep(0.2)
    assert max(started) <= 3  # chunk 0 read: at most chunks 1..3 fetched ahead of the reader
    assert list(items) == list(range(1, 20))


def test_a_failure_is_raised_when_the_reader_reaches_it_and_stops_the_rest() -> None:
    ran: list[int] = []
    exits: list[str] = []

    def work(chunk: int, stop: threading.Event) -> list[int]:
        ran.append(chunk)
        if chunk == 2:
            raise ReconnectNeeded("reconnect")
        return [chunk]

    pipeline = OrderedPipeline(list(range(50)), work, workers=2, ahead=4,
                               on_exit=lambda: exits.append(threading.current_thread().name))
    got: list[int] = []
    with pytest.raises(ReconnectNeeded):
        got.extend(pipeline)
    assert got == [0, 1]
    pipeline.join(5)
    assert max(ran) < 10  # the others stopped instead of fetching on
    assert len(exits) == 2 and all(name.startswith("gmail-fetch") for name in exits)


def test_chunks_are_read_as_workers_need_them_so_work_starts_before_the_listing_ends() -> None:
    more = threading.Event()

    def listing() -> Iterator[int]:
        yield 0
        more.wait(5)  # the next page of a listing still on its way
        yield 1

    items = iter(OrderedPipeline(listing(), lambda chunk, stop: [chunk], workers=2, ahead=4))
    assert next(items) == 0
    more.set()
    assert list(items) == [1]


def test_a_listing_that_fails_midway_is_raised_after_the_chunks_before_it() -> None:
    def listing() -> Iterator[int]:
        yield from range(3)
        raise ReconnectNeeded("reconnect")

    got: list[int] = []
    with pytest.raises(ReconnectNeeded):
        got.extend(OrderedPipeline(listing(), lambda chunk, stop: [chunk], workers=2, ahead=4))
    assert got == [0, 1, 2]


def test_a_reader_that_leaves_stops_waiting_workers_at_once() -> None:
    waiting = threading.Event()

    def work(chunk: int, stop: threading.Event) -> list[int]:
        if chunk > 0:
            waiting.set()
            if stop.wait(30):  # as a worker waiting for quota does
                raise Stopped()
        return [chunk]

    pipeline = OrderedPipeline(list(range(5)), work, workers=3, ahead=5)
    items = iter(pipeline)
    assert next(items) == 0
    assert waiting.wait(5)
    started = time.monotonic()
    items.close()  # what a cancelled or interrupted scan does to the fetch generator
    pipeline.join(5)
    assert time.monotonic() - started < 2


def test_several_batches_are_on_the_wire_at_once_and_the_quota_stays_busy(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    raw = {gmail.add_message(promo(i)): promo(i) for i in range(60)}
    gmail.call_latency = 0.02  # 12 batches of 5 parts: 0.1 s each served alone
    timings: dict[int, float] = {}
    for in_flight in (1, 4):
        gmail.reset_counters()
        client = make_client(info, batch_parts=5, in_flight=in_flight)
        started = time.monotonic()
        assert dict(client.get_raw_many(list(raw))) == raw
        timings[in_flight] = time.monotonic() - started
        assert sorted(gmail.batch_sizes) == [5] * 12
        if in_flight > 1:
            assert gmail.peak_concurrent >= 2
    assert timings[4] < timings[1] * 0.75


def test_batches_hold_a_quarter_second_of_quota(gmail: FakeGmail, info: dict[str, Any],
                                                  make_client: MakeClient) -> None:
    assert make_client(info, quota=QuotaLimiter(6000)).parts_per_batch == 5
    assert make_client(info, quota=QuotaLimiter(15000)).parts_per_batch == 12
    assert make_client(info, quota=QuotaLimiter(1_000_000), batch_size=40).parts_per_batch == 40


def test_the_source_streams_every_message_newest_first_once(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    ids = [gmail.add_message(promo(i)) for i in range(30)]
    gmail.call_latency = 0.01  # parts served one after another: batches overlap on the wire
    source = GmailSource(make_client(info, batch_parts=4, in_flight=3), "category:promotions")
    seen = [m.provider_id for m in source.stream_newest_first(frozenset(ids[:3]))]
    assert seen == ids[3:][::-1]
    assert source.listed_total() == 27
    assert gmail.calls["messages.get"] == 27  # one stream: no message fetched twice
    assert gmail.peak_concurrent >= 2


def test_the_first_messages_come_before_the_listing_has_ended(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    """A large mailbox lists in many pages: the fetch starts after the first one."""
    ids = [gmail.add_message(promo(i)) for i in range(130)]
    source = GmailSource(make_client(info, batch_parts=5, in_flight=3, max_results=50), QUERY)
    stream = source.stream_newest_first(frozenset())
    first = next(stream)
    assert first.provider_id == ids[-1]
    assert gmail.calls["messages.list"] < 3 and source.listed_total() is None
    rest = [m.provider_id for m in stream]
    assert [first.provider_id, *rest] == ids[::-1]
    assert gmail.calls["messages.list"] == 3 and source.listed_total() == 130
    assert source.sync_state() == f"{gmail.history_id}\n{QUERY}"


def test_a_scan_that_stops_early_stops_the_fetch_threads(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    for i in range(200):
        gmail.add_message(promo(i))
    before = set(threading.enumerate())
    # 50 units per second: the fetch threads soon wait for quota, as in a long scan.
    source = GmailSource(make_client(info, quota=QuotaLimiter(3000), batch_parts=5, in_flight=3),
                         "category:promotions")
    items = source.stream_newest_first(frozenset())
    next(items)
    items.close()  # the scan raised ScanInterrupted / ScanCancelled in its loop

    def fetch_threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t not in before and t.name.startswith("gmail-fetch")]

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and fetch_threads():
        time.sleep(0.05)
    assert fetch_threads() == []
    assert gmail.calls["messages.get"] < 200
