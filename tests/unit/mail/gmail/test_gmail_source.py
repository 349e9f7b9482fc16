"""GmailSource: full listing, incremental history, the cursor taken before listing, and fetch."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable
from typing import Any

from gmail_helpers import ADDRESS, promo

from fakes import FakeGmail
from guard_inbox.domain.models import MailMessage, UnreadableMessage
from guard_inbox.mail.gmail.auth import LockedCredentials
from guard_inbox.mail.gmail.client import GmailClient
from guard_inbox.mail.gmail.quota import QuotaLimiter
from guard_inbox.mail.gmail.source import GmailSource

QUERY = "category:promotions"
MakeClient = Callable[..., GmailClient]


def test_full_scan_lists_newest_first_without_scanned_ones(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    ids = [gmail.add_message(promo(i)) for i in range(5)]
    gmail.add_message(promo(99), label_ids=["SENT"])  # not selected by the query
    source = GmailSource(make_client(info), QUERY, "")
    assert list(source.list_ids(frozenset(ids[:2]))) == ids[2:][::-1]
    assert source.sync_state() == f"{gmail.history_id}\n{QUERY}"


def test_mail_arriving_during_a_scan_is_caught_next_time(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    first = [gmail.add_message(promo(i)) for i in range(3)]
    client = make_client(info)
    source = GmailSource(client, QUERY, "")
    assert list(source.list_ids(frozenset())) == first[::-1]
    late = gmail.add_message(promo(10))  # arrives after listing, before the scan ends
    cursor = source.sync_state()
    assert int(cursor.split("\n")[0]) < gmail.history_id
    again = GmailSource(client, QUERY, cursor)
    assert list(again.list_ids(frozenset(first))) == [late]


def test_incremental_rescan_without_new_mail_is_one_request(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    ids = [gmail.add_message(promo(i)) for i in range(30)]
    client = make_client(info)
    full = GmailSource(client, QUERY, "")
    full.list_ids(frozenset())
    gmail.reset_counters()
    before = client.requests_sent
    source = GmailSource(client, QUERY, full.sync_state())
    assert list(source.list_ids(frozenset(ids))) == []
    assert list(source.fetch([])) == []
    assert client.requests_sent - before == gmail.requests == 1  # one history.list, no profile
    assert gmail.calls == {"history.list": 1}
    assert source.sync_state() == f"{gmail.history_id}\n{QUERY}"


def test_incremental_keeps_only_new_mail_the_query_selects(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    old = [gmail.add_message(promo(i)) for i in range(600)]
    client = make_client(info)
    cursor = str(gmail.history_id)
    sent = gmail.add_message(promo(1000), label_ids=["SENT"])
    new = [gmail.add_message(promo(i)) for i in range(1001, 1004)]
    gmail.reset_counters()
    source = GmailSource(client, QUERY, cursor)
    listed = list(source.list_ids(frozenset(old)))
    assert listed == new[::-1] and sent not in listed
    # history, then one page of the query listing: it stops at mail already scanned.
    assert gmail.calls == {"history.list": 1, "messages.list": 1}


def test_expired_history_falls_back_to_a_full_listing(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    ids = [gmail.add_message(promo(i)) for i in range(4)]
    cursor = str(gmail.history_id)
    ids.append(gmail.add_message(promo(4)))
    gmail.expire_history()
    source = GmailSource(make_client(info), QUERY, cursor)
    assert list(source.list_ids(frozenset(ids[:1]))) == ids[1:][::-1]
    assert source.sync_state() == f"{gmail.history_id}\n{QUERY}"
    assert gmail.calls["getProfile"] == 1


def test_fetch_decodes_messages_and_reports_vanished_ones(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    ids = [gmail.add_message(promo(i, subject=f"Deal {i}")) for i in range(3)]
    gmail.delete_message(ids[1])
    items = {item.provider_id: item for item in GmailSource(make_client(info), QUERY).fetch(ids)}
    first, third = items[ids[0]], items[ids[2]]
    assert isinstance(first, MailMessage) and first.subject == "Deal 0"
    assert isinstance(third, MailMessage) and "SAVE2" in third.text
    gone = items[ids[1]]
    assert isinstance(gone, UnreadableMessage) and "no longer in the mailbox" in gone.reason


def test_a_finished_scan_leaves_no_connection_open(gmail: FakeGmail, info: dict[str, Any]) -> None:
    """The scan never closes a MailSource, so the source must not leave sockets to the GC."""
    ids = [gmail.add_message(promo(i)) for i in range(7)]
    creds = LockedCredentials.from_info(ADDRESS, info, None)

    def scan(cursor: str) -> str:
        client = GmailClient(ADDRESS, lambda: creds, gmail.base_url, QuotaLimiter(1_000_000), batch_size=3)
        source = GmailSource(client, QUERY, cursor)
        assert len(list(source.stream_newest_first(frozenset()))) == source.listed_total()
        listed = source.list_ids(frozenset())  # and the plain MailSource calls
        for start in range(0, len(listed), 3):
            assert len(list(source.fetch(listed[start : start + 3]))) == len(listed[start : start + 3])
        return source.sync_state()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        cursor = scan("")
        scan(cursor)  # incremental, nothing new: only history.list
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert len(ids) == 7


def test_a_changed_query_lists_the_whole_new_query_once(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    promos = [gmail.add_message(promo(i)) for i in range(3)]
    inbox_only = gmail.add_message(promo(50), label_ids=["INBOX"])  # old mail the new query adds
    client = make_client(info)
    first = GmailSource(client, QUERY, "")
    assert list(first.list_ids(frozenset())) == promos[::-1]
    broader = "in:inbox"
    again = GmailSource(client, broader, first.sync_state())
    assert inbox_only in again.list_ids(frozenset(promos))  # history alone would never show it
    assert again.sync_state() == f"{gmail.history_id}\n{broader}"
    same = GmailSource(client, broader, again.sync_state())
    gmail.reset_counters()
    assert list(same.list_ids(frozenset([*promos, inbox_only]))) == []
    assert gmail.calls == {"history.list": 1}  # back to incremental under the new query


def test_a_cursor_saved_before_queries_were_recorded_still_counts(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    ids = [gmail.add_message(promo(i)) for i in range(3)]
    client = make_client(info)
    source = GmailSource(client, QUERY, str(gmail.history_id))  # a 0.1 database's plain historyId
    gmail.reset_counters()
    assert list(source.list_ids(frozenset(ids))) == []
    assert gmail.calls == {"history.list": 1}
