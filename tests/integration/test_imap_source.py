"""The IMAP source against a real Dovecot (tests/imap_kit.py): TLS, logins, incremental listing,
UIDVALIDITY changes, dropped connections and messages the server cannot give."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import imap_kit
from guard_inbox.domain.errors import PermanentError, ReconnectNeeded, TransientError
from guard_inbox.domain.imap import ImapSettings, Security
from guard_inbox.domain.models import MailMessage, UnreadableMessage
from guard_inbox.mail.imap.connection import WRONG_PASSWORD, connect
from guard_inbox.mail.imap.source import ImapSource, parse_message_id

pytestmark = pytest.mark.skipif(not imap_kit.available(), reason="dovecot-imapd is not installed "
                                "(make test installs it)")


@pytest.fixture
def server() -> Iterator[imap_kit.Dovecot]:
    with imap_kit.dovecot() as d:
        yield d


@pytest.fixture(scope="module")
def tls_server() -> Iterator[imap_kit.Dovecot]:
    with imap_kit.dovecot(tls=True) as d:
        d.add_messages([imap_kit.promo(i) for i in range(3)])
        yield d


def plain(d: imap_kit.Dovecot, **kw: object) -> ImapSettings:
    return ImapSettings("127.0.0.1", d.user, d.port, Security.NONE, **kw)  # type: ignore[arg-type]


def source(d: imap_kit.Dovecot, state: str = "", password: str = imap_kit.PASSWORD,
           settings: ImapSettings | None = None) -> ImapSource:
    s = settings or plain(d)
    return ImapSource(lambda: connect(s, password, timeout=10), s, state)


def read_all(src: ImapSource, ids: list[str]) -> list[MailMessage | UnreadableMessage]:
    out: list[MailMessage | UnreadableMessage] = []
    for start in range(0, len(ids), 50):
        out.extend(src.fetch(ids[start:start + 50]))
    return out


def test_lists_newest_first_reads_without_marking_read_and_rescans_with_two_commands(
        server: imap_kit.Dovecot) -> None:
    server.add_messages([imap_kit.promo(i) for i in range(120)])
    first = source(server)
    ids = list(first.list_ids(frozenset()))
    uids = [parse_message_id(i)[2] for i in ids]  # type: ignore[index]
    assert uids == list(range(120, 0, -1))
    messages = read_all(first, ids)
    assert all(isinstance(m, MailMessage) for m in messages)
    assert [m.provider_id for m in messages] == ids
    assert "SAVE00119X" in messages[0].text  # type: ignore[union-attr]
    assert first.connections_opened == 1
    assert not any("Seen" in f for f in server.flags())  # BODY.PEEK[] only

    again = source(server, first.sync_state())
    assert again.list_ids(frozenset(ids)) == []
    assert again.commands_after_login <= 3  # STATUS + LOGOUT
    assert again.sync_state() == first.sync_state()

    server.add_messages([imap_kit.promo(i) for i in range(120, 125)])
    third = source(server, first.sync_state())
    new = list(third.list_ids(frozenset(ids)))
    assert [parse_message_id(i)[2] for i in new] == [125, 124, 123, 122, 121]  # type: ignore[index]
    assert len(read_all(third, new)) == 5


def test_uidvalidity_change_lists_the_folder_whole_again_under_new_ids(server: imap_kit.Dovecot) -> None:
    server.add_messages([imap_kit.promo(i) for i in range(4)])
    first = source(server)
    ids = list(first.list_ids(frozenset()))
    read_all(first, ids)
    server.set_uidvalidity("INBOX", 4242)
    second = source(server, first.sync_state())
    relisted = list(second.list_ids(frozenset(ids)))
    second.close()
    assert len(relisted) == 4 and not set(relisted) & set(ids)
    assert all(parse_message_id(i)[1] == 4242 for i in relisted)  # type: ignore[index]


def test_folders_are_scanned_in_order_and_a_vanished_message_is_skipped(server: imap_kit.Dovecot) -> None:
    server.add_messages([imap_kit.promo(i) for i in range(3)])
    files = server.add_messages([imap_kit.promo(i) for i in range(10, 13)], folder="Deals")
    src = source(server, settings=plain(server, folders=("INBOX", "Deals")))
    ids = list(src.list_ids(frozenset()))
    assert [parse_message_id(i)[0] for i in ids] == ["INBOX"] * 3 + ["Deals"] * 3
    files[1].unlink()  # deleted by another mail client after the listing
    got = read_all(src, ids)
    unreadable = [g for g in got if isinstance(g, UnreadableMessage)]
    assert len(got) == 6 and len(unreadable) == 1
    assert "did not give this message" in unreadable[0].reason


def test_a_dropped_connection_is_reopened_once_and_the_scan_goes_on(server: imap_kit.Dovecot) -> None:
    server.add_messages([imap_kit.promo(i) for i in range(100)])
    src = source(server)
    ids = list(src.list_ids(frozenset()))
    got = list(src.fetch(ids[:50]))
    server.kick(server.user)  # the server ends the session, as a restart would
    got += list(src.fetch(ids[50:]))
    assert [g.provider_id for g in got] == ids
    assert all(isinstance(g, MailMessage) for g in got)
    assert src.connections_opened == 2


def test_wrong_password_asks_for_the_password_and_closed_port_is_transient(server: imap_kit.Dovecot) -> None:
    with pytest.raises(ReconnectNeeded, match=WRONG_PASSWORD):
        source(server, password="not-it").list_ids(frozenset())
    closed = ImapSettings("127.0.0.1", server.user, imap_kit.free_port(), Security.NONE)
    with pytest.raises(TransientError, match="cannot be reached"):
        connect(closed, "x", timeout=5)


def test_plain_imap_is_refused_to_another_host() -> None:
    with pytest.raises(PermanentError, match="only over TLS"):
        connect(ImapSettings("imap.example.com", "a@example.com", 143, Security.NONE), "x")


@pytest.mark.parametrize("security", [Security.SSL, Security.STARTTLS])
def test_tls_and_starttls_with_the_servers_certificate(tls_server: imap_kit.Dovecot,
                                                       security: Security) -> None:
    port = tls_server.tls_port if security is Security.SSL else tls_server.port
    settings = ImapSettings("127.0.0.1", tls_server.user, port, security, ca_file=str(tls_server.cert))
    src = source(tls_server, settings=settings)
    ids = list(src.list_ids(frozenset()))
    assert len(ids) == 3 and all(isinstance(m, MailMessage) for m in src.fetch(ids))
    untrusted = ImapSettings("127.0.0.1", tls_server.user, port, security)
    with pytest.raises(PermanentError, match="cannot be trusted"):
        connect(untrusted, imap_kit.PASSWORD, timeout=10)


def test_a_plain_only_server_is_refused_for_starttls_and_ssl(server: imap_kit.Dovecot) -> None:
    with pytest.raises(PermanentError, match="does not offer STARTTLS"):
        connect(ImapSettings("127.0.0.1", server.user, server.port, Security.STARTTLS), "x", timeout=5)
    with pytest.raises(PermanentError, match="did not speak TLS"):
        connect(ImapSettings("127.0.0.1", server.user, server.port, Security.SSL), "x", timeout=5)
