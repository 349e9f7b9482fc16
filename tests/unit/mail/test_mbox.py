"""Reading an mbox newest first: once, from its end backwards, with the ids a forward scan gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from guard_inbox.domain.errors import TransientError
from guard_inbox.domain.models import RawMail
from guard_inbox.mail.local import LocalMailbox
from guard_inbox.mail.mbox import newest_first, unwrap
from guard_inbox.mail.mime import parse_message
from mailgen import promo_bytes, write_mbox


def _ids(path: Path, scanned: frozenset[str] = frozenset(), block: int = 8 << 20) -> list[str]:
    return [item.provider_id for item in newest_first(path, scanned, block=block)]


@pytest.mark.parametrize("block", [97, 4096, 8 << 20], ids=["tiny", "4k", "8m"])
def test_newest_first_is_the_file_backwards_with_the_same_ids(tmp_path: Path, block: int) -> None:
    mbox = tmp_path / "m.mbox"
    write_mbox(mbox, 300, every_nth_without_code=7)
    forward = LocalMailbox(mbox).list_ids(frozenset())

    assert _ids(mbox, block=block) == forward[::-1]


def test_quoted_from_lines_stay_in_their_message_and_are_unquoted_on_read(tmp_path: Path) -> None:
    mbox = tmp_path / "m.mbox"
    body = b"Subject: hi\nMessage-ID: <q@x>\n\nline\n>From the shop: code QUOTED10 inside\nFrom here on\n"
    mbox.write_bytes(b"\n\nFrom a@x Mon Jan  6 08:00:00 2025\n" + promo_bytes(1)
                     + b"\nFrom b@x Mon Jan  6 09:00:00 2025\n" + body + b"\n")

    items = list(newest_first(mbox, frozenset(), block=16))

    assert [i.provider_id for i in items] == ["q@x", "promo-1@bluebottle.example"]
    first = items[0]
    assert isinstance(first, RawMail) and first.mbox
    text = parse_message(unwrap(first.data, whole=True), first.provider_id).text
    assert "From the shop: code QUOTED10" in text and "From here on" in text


def test_duplicates_and_scanned_messages_are_left_out(tmp_path: Path) -> None:
    one, two = tmp_path / "1.mbox", tmp_path / "2.mbox"
    write_mbox(one, 5)
    write_mbox(two, 5, start=3)
    both = tmp_path / "both.mbox"
    both.write_bytes(one.read_bytes() + two.read_bytes())  # messages 3 and 4 twice
    scanned = frozenset({"promo-7@dandelionbooks.example"})

    ids = _ids(both, scanned, block=512)

    assert len(ids) == len(set(ids)) == 7
    assert ids[0] == "promo-6@cindershoes.example"  # the last one of the file, 7 being scanned


def test_an_empty_or_blank_file_has_no_messages(tmp_path: Path) -> None:
    empty = tmp_path / "e.mbox"
    empty.write_bytes(b"")
    assert _ids(empty) == []
    empty.write_bytes(b"\n\n")
    assert _ids(empty) == []


def test_a_mailbox_rewritten_while_it_is_read_is_transient(tmp_path: Path) -> None:
    mbox = tmp_path / "m.mbox"
    write_mbox(mbox, 200)
    reading = newest_first(mbox, frozenset(), block=1024)
    next(reading)
    with mbox.open("ab") as handle:  # new mail arrives mid-scan
        handle.write(b"From c@x Mon Jan  6 10:00:00 2025\n" + promo_bytes(999) + b"\n")
        os.fsync(handle.fileno())
    with pytest.raises(TransientError, match="changed while it was being scanned"):
        list(reading)


def test_the_local_mailbox_hands_out_raw_mail_of_an_eml_folder_newest_first(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    for i in range(3):
        path = folder / f"{i}.eml"
        path.write_bytes(promo_bytes(i))
        os.utime(path, (1_000_000 + i, 1_000_000 + i))

    items = list(LocalMailbox(folder).raw_newest_first(frozenset({"promo-0@acmeoutdoor.example"})))

    assert [i.provider_id for i in items] == ["promo-2@cindershoes.example", "promo-1@bluebottle.example"]
    assert all(isinstance(i, RawMail) and not i.mbox for i in items)
