"""LocalMailbox on real files: Takeout-style mbox, folders of .eml, and the ways they go wrong."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from guard_inbox.domain.errors import PermanentError, SourceMissing, TransientError
from guard_inbox.domain.models import MailMessage, UnreadableMessage
from guard_inbox.mail.local import LocalMailbox
from guard_inbox.mail.mime import provider_id_for

TAKEOUT_FROM = b"From 1781234567890123456@xxx Mon Jan 01 00:00:00 +0000 2024\r\n"


def message(subject: str, body: str = "Hello", *, mid: str | None = None) -> bytes:
    lines = ["From: Shop <shop@example.com>", f"Subject: {subject}"]
    if mid is not None:
        lines.append(f"Message-ID: <{mid}>")
    lines += ["Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()


def write_mbox(path: Path, *messages: bytes, separator: bytes = TAKEOUT_FROM) -> Path:
    """Writes an mbox the way Takeout does: From_ line, message, blank line."""
    with path.open("wb") as handle:
        for raw in messages:
            handle.write(separator + raw + b"\r\n")
    return path


def fetched(box: LocalMailbox, ids: Sequence[str]) -> list[MailMessage]:
    out = list(box.fetch(ids))
    assert all(isinstance(m, MailMessage) for m in out), out
    return [m for m in out if isinstance(m, MailMessage)]


# -- mbox ---------------------------------------------------------------------------------------


def test_takeout_mbox_in_file_order_with_from_quoting_undone(tmp_path: Path) -> None:
    path = write_mbox(
        tmp_path / "All mail Including Spam and Trash.mbox",
        message("one", mid="1@x"),
        message("two", ">From the desk of our CEO\r\n>>From a quoted reply", mid="2@x"),
        message("three", "Prices rise soon.\r\n\r\nFrom here on, all is new.", mid="3@x"),
    )
    box = LocalMailbox(path)
    assert box.kind == "mbox"
    ids = list(box.list_ids(frozenset()))
    assert ids == ["1@x", "2@x", "3@x"]
    one, two, three = fetched(box, ids)
    assert (one.subject, two.subject, three.subject) == ("one", "two", "three")
    assert two.text == "From the desk of our CEO\n>From a quoted reply"
    assert three.text == "Prices rise soon.\n\nFrom here on, all is new."
    assert one.text == "Hello"


def test_mbox_skips_duplicates_and_already_scanned(tmp_path: Path) -> None:
    no_id = message("no id", "same bytes")
    path = write_mbox(
        tmp_path / "box.mbox",
        message("a", mid="a@x"),
        message("a again", mid="a@x"),
        no_id,
        no_id,
        message("b", mid="b@x"),
    )
    ids = LocalMailbox(path).list_ids(frozenset())
    assert ids == ["a@x", provider_id_for(no_id), "b@x"]
    assert LocalMailbox(path).list_ids(frozenset({"a@x", "b@x"})) == [provider_id_for(no_id)]


def test_mbox_hash_ids_are_stable_and_fetchable(tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "box", message("first"), message("second", "other"))
    ids = LocalMailbox(path).list_ids(frozenset())
    assert all(pid.startswith("sha1:") for pid in ids) and len(set(ids)) == 2
    box = LocalMailbox(path)  # a new worker: fetch before list_ids
    assert [m.subject for m in fetched(box, list(reversed(ids)))] == ["second", "first"]
    assert LocalMailbox(path).list_ids(frozenset()) == ids


def test_classic_mbox_with_lf_and_leading_blank_lines(tmp_path: Path) -> None:
    raw = message("lf", mid="lf@x").replace(b"\r\n", b"\n")
    path = tmp_path / "Inbox"
    path.write_bytes(b"\n\n" + b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n" + raw + b"\n")
    box = LocalMailbox(path)
    assert box.list_ids(frozenset()) == ["lf@x"]
    assert fetched(box, ["lf@x"])[0].text == "Hello"


def test_empty_mbox_has_no_messages(tmp_path: Path) -> None:
    for content in (b"", b"\n \n"):
        path = tmp_path / "empty.mbox"
        path.write_bytes(content)
        box = LocalMailbox(path)
        assert box.kind == "mbox"
        assert box.list_ids(frozenset()) == []
        assert list(box.fetch([])) == []
        assert box.sync_state() == ""


def test_mbox_message_larger_than_a_scan_block(tmp_path: Path) -> None:
    big = message("big", "x" * 100 + "\r\n" + ("y" * 99 + "\r\n") * 90_000, mid="big@x")
    path = write_mbox(tmp_path / "box", message("a", mid="a@x"), big, message("b", mid="b@x"))
    box = LocalMailbox(path)
    assert box.list_ids(frozenset()) == ["a@x", "big@x", "b@x"]
    a, big_message, b = fetched(box, ["a@x", "big@x", "b@x"])
    assert (a.subject, big_message.subject, b.subject) == ("a", "big", "b")
    assert big_message.text.startswith("x" * 100 + "\ny")
    assert any("truncated" in defect for defect in big_message.defects)  # parts cap at 5 MB


def test_garbage_entry_still_comes_back_as_a_message(tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "box", bytes(range(256)) * 4, message("ok", mid="ok@x"))
    box = LocalMailbox(path)
    ids = box.list_ids(frozenset())
    assert len(ids) == 2 and ids[1] == "ok@x"
    junk, ok = fetched(box, ids)
    assert junk.defects and ok.subject == "ok"


def test_unknown_id_is_unreadable_not_an_error(tmp_path: Path) -> None:
    box = LocalMailbox(write_mbox(tmp_path / "box", message("a", mid="a@x")))
    box.list_ids(frozenset())
    (result,) = box.fetch(["nope@x"])
    assert isinstance(result, UnreadableMessage) and result.provider_id == "nope@x"


def test_mbox_rewritten_between_listing_and_fetching(tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "box", message("a", mid="a@x"), message("b", mid="b@x"))
    box = LocalMailbox(path)
    ids = box.list_ids(frozenset())
    write_mbox(path, message("new", "a longer body", mid="n@x"), message("b", mid="b@x"))
    results = list(box.fetch(ids))
    assert isinstance(results[0], UnreadableMessage)
    assert isinstance(results[1], MailMessage) and results[1].subject == "b"


def test_mbox_rewritten_while_fetching_is_transient(tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "box", message("a", mid="a@x"), message("b", mid="b@x"))
    box = LocalMailbox(path)
    results = box.fetch(box.list_ids(frozenset()))
    assert isinstance(next(results), MailMessage)
    path.write_bytes(b"X" * path.stat().st_size)
    with pytest.raises(TransientError, match="changed while it was being scanned"):
        next(results)


def test_mbox_gone_while_fetching_is_missing(tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "box", message("a", mid="a@x"))
    box = LocalMailbox(path)
    ids = box.list_ids(frozenset())
    path.unlink()
    with pytest.raises(SourceMissing, match="not available"):
        list(box.fetch(ids))


# -- folders of .eml ----------------------------------------------------------------------------


def test_eml_folder_recursive_any_case(tmp_path: Path) -> None:
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    (tmp_path / "a.eml").write_bytes(message("a", mid="a@x"))
    (tmp_path / "b" / "C.EML").write_bytes(message("c", mid="c@x"))
    (tmp_path / "b" / "deeper" / "d.Eml").write_bytes(message("d"))
    (tmp_path / "b" / "copy.eml").write_bytes(message("a", mid="a@x"))
    (tmp_path / "._a.eml").write_bytes(b"\x00\x05\x16\x07 AppleDouble resource fork")
    (tmp_path / "notes.txt").write_text("not mail")
    box = LocalMailbox(tmp_path)
    assert box.kind == "eml_dir"
    ids = box.list_ids(frozenset())
    d_id = provider_id_for(message("d"))
    assert ids == ["a@x", "c@x", d_id]
    assert [m.subject for m in fetched(box, list(ids))] == ["a", "c", "d"]
    assert box.list_ids(frozenset({"a@x"})) == ["c@x", d_id]


def test_eml_file_removed_after_listing_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(message("a", mid="a@x"))
    (tmp_path / "b.eml").write_bytes(message("b", mid="b@x"))
    box = LocalMailbox(tmp_path)
    ids = box.list_ids(frozenset())
    (tmp_path / "a.eml").unlink()
    first, second = box.fetch(ids)
    assert isinstance(first, UnreadableMessage) and first.provider_id == "a@x"
    assert isinstance(second, MailMessage) and second.subject == "b"


def test_eml_folder_gone_while_fetching_is_missing(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "a.eml").write_bytes(message("a", mid="a@x"))
    box = LocalMailbox(folder)
    ids = box.list_ids(frozenset())
    shutil.rmtree(folder)
    with pytest.raises(SourceMissing, match="not available"):
        list(box.fetch(ids))


# -- what the user is told ----------------------------------------------------------------------


def test_missing_path_is_missing_for_good(tmp_path: Path) -> None:
    with pytest.raises(SourceMissing, match=r"is not available — was it moved") as raised:
        LocalMailbox(tmp_path / "gone.mbox")
    assert raised.value.path == str(tmp_path / "gone.mbox")
    assert isinstance(raised.value, PermanentError)  # the job rules never retry it


def test_file_that_is_not_an_mbox_is_permanent(tmp_path: Path) -> None:
    path = tmp_path / "single.eml"
    path.write_bytes(message("just one"))
    with pytest.raises(PermanentError, match="is not an mbox file or a folder of .eml files"):
        LocalMailbox(path)


def test_folder_without_eml_files_is_permanent(tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="contains no .eml files"):
        LocalMailbox(tmp_path)
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(PermanentError, match="contains no .eml files"):
        LocalMailbox.detect_kind(tmp_path)


def test_detect_kind(tmp_path: Path) -> None:
    mbox = write_mbox(tmp_path / "box.mbox", message("a"))
    (tmp_path / "eml").mkdir()
    (tmp_path / "eml" / "a.eml").write_bytes(message("a"))
    assert LocalMailbox.detect_kind(mbox) == "mbox"
    assert LocalMailbox.detect_kind(tmp_path / "eml") == "eml_dir"
