"""The codes list's questions on a real SQLite file: accent-free search, the expired toggle,
statuses, shop filter, grouping, codes kept on screen, and the one "Expiring soon" window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from guard_inbox.domain.folding import fold, search_key
from guard_inbox.domain.models import AccountKind, CodeQuery, FoundCode, MailMessage
from guard_inbox.services.queries import Queries
from guard_inbox.storage import migrations
from guard_inbox.storage.db import Database, open_database
from guard_inbox.storage.job_repository import JobRepository
from guard_inbox.storage.repository import Repository

NOW = datetime.now(UTC).replace(microsecond=0)



def store(database: Database, *codes: FoundCode) -> Repository:
    repo, jobs = Repository(database), JobRepository(database)
    account = repo.find_account("/m.mbox") or repo.add_account(AccountKind.MBOX, "/m.mbox")
    job = jobs.create(account.id, 100, "manual")
    repo.record_scan_results(account.id, job.id, [
        (MailMessage(provider_id=f"{code.code}@x", date=NOW - timedelta(hours=n)), [code])
        for n, code in enumerate(codes)
    ])
    return repo


def names(repo: Repository, query: CodeQuery) -> list[str]:
    return [c.code for c in repo.list_codes(query)]


def test_fold_drops_case_and_accents_also_of_letters_unicode_does_not_decompose() -> None:
    assert fold("Górski ŁÓDŹ Straße Ærø Crème") == "gorski lodz strasse aero creme"
    assert search_key("Save10", "Górski", "10 % off") == "save10\x1fgorski\x1f10 % off"


@pytest.mark.parametrize(("search", "found"), [
    ("gorski", ["G1"]), ("GÓRSKI", ["G1"]), ("górski", ["G1"]), ("lodz", ["L2"]),
    ("ŁÓDŹ", ["L2"]), ("creme", ["C3"]), ("strasse", ["S4"]), ("straße", ["S4"]),
    ("gorski 20", ["G1"]), ("gorski 30", []), ("épargne", ["C3"]),
])
def test_search_ignores_accents_and_case_and_needs_every_word(
    database: Database, search: str, found: list[str]
) -> None:
    repo = store(database,
                 FoundCode("G1", "Górski", "20% off"), FoundCode("L2", "Łódź Outlet", "5 zł"),
                 FoundCode("C3", "Crème Brûlée", "Epargne 10"), FoundCode("S4", "Straßenmode"))
    assert names(repo, CodeQuery(search=search)) == found


def test_migration_3_fills_the_folded_columns_of_existing_codes(tmp_path: Path) -> None:
    db = open_database("", tmp_path / "old.sqlite3")
    migrations.bind(db)
    db.db.create_tables([migrations.SchemaVersion])
    for version, _, step in migrations.MIGRATIONS[:2]:
        step(db.db)
        migrations.SchemaVersion.create(version=version, applied_at=datetime(2026, 1, 1))
    assert "search_key" not in {c.name for c in db.db.get_columns("promo_code")}
    # Rows written with version 2's columns only: today's Repository knows later ones.
    account_id = db.db.execute_sql(
        "INSERT INTO account (kind, address, display_name, status, status_message, sync_state, "
        "created_at) VALUES (?, '/m.mbox', '', 'ok', '', '', ?)",
        (AccountKind.MBOX.value, datetime(2026, 1, 1)),
    ).lastrowid
    db.db.execute_sql(
        "INSERT INTO promo_code (account_id, code, code_key, merchant, merchant_key, discount, "
        "min_spend, link, source, first_seen, last_seen, used) VALUES "
        "(?, 'ZIMA15', 'zima15', 'Górski Sport', 'górski sport', '15% zniżki', '', '', 'rules', ?, ?, 0)",
        (account_id, datetime(2026, 1, 1), datetime(2026, 1, 1)),
    )
    assert migrations.migrate(db) == migrations.LATEST - 2
    repo = Repository(db)
    assert names(repo, CodeQuery(search="gorski znizki")) == ["ZIMA15"]
    assert names(repo, CodeQuery(shop="GORSKI")) == ["ZIMA15"]
    db.close()


def test_expired_codes_are_left_out_when_asked_and_statuses_combine(database: Database) -> None:
    repo = store(database,
                 FoundCode("OLD", "Shop", expires=NOW - timedelta(days=2)),
                 FoundCode("SOON", "Shop", expires=NOW + timedelta(days=1)),
                 FoundCode("LATER", "Shop", expires=NOW + timedelta(days=30)),
                 FoundCode("NEVER", "Shop"))
    (later,) = repo.code_ids(CodeQuery(search="later"))
    repo.set_code_used(later, True)
    assert names(repo, CodeQuery()) == ["OLD", "SOON", "LATER", "NEVER"]
    assert names(repo, CodeQuery(include_expired=False)) == ["SOON", "LATER", "NEVER"]
    assert names(repo, CodeQuery(status="unused")) == ["OLD", "SOON", "NEVER"]
    assert names(repo, CodeQuery(status="unused", include_expired=False)) == ["SOON", "NEVER"]
    assert names(repo, CodeQuery(status="active")) == ["SOON", "NEVER"]
    assert names(repo, CodeQuery(status="used")) == ["LATER"]


def test_a_code_kept_on_screen_stays_in_a_filter_it_no_longer_fits(database: Database) -> None:
    repo = store(database, FoundCode("A1", "Shop"), FoundCode("B2", "Shop"))
    (a1,) = repo.code_ids(CodeQuery(search="a1"))
    repo.set_code_used(a1, True)
    assert names(repo, CodeQuery(status="unused")) == ["B2"]
    assert names(repo, CodeQuery(status="unused", keep_ids=(a1,))) == ["A1", "B2"]  # same place
    assert names(repo, CodeQuery(status="unused", keep_ids=(a1,), search="b2")) == ["B2"]


def test_grouping_by_shop_orders_shops_then_the_chosen_order(database: Database) -> None:
    repo = store(database,
                 FoundCode("Z1", "Zalando"), FoundCode("G1", "Górski"), FoundCode("A1", "Allegro"),
                 FoundCode("G2", "gorski"), FoundCode("Z2", "Zalando"))
    query = CodeQuery(group_by_shop=True, sort="code", descending=False)
    assert names(repo, query) == ["A1", "G1", "G2", "Z1", "Z2"]
    shops = repo.code_shops(query)
    assert [(key, name) for _, key, name in shops] == [
        ("allegro", "Allegro"), ("gorski", "Górski"), ("gorski", "gorski"),
        ("zalando", "Zalando"), ("zalando", "Zalando")]
    assert [i for i, _, _ in shops] == repo.code_ids(query)
    assert names(repo, CodeQuery(shop="ZALAN")) == ["Z1", "Z2"]


def test_the_expiring_filter_lists_exactly_what_the_notification_names(database: Database) -> None:
    """Issue 16: the filter was fixed at 2 days while notifications used the 3-day setting."""
    repo = store(database,
                 FoundCode("ONE", "Shop", expires=NOW + timedelta(days=1)),
                 FoundCode("TWOHALF", "Shop", expires=NOW + timedelta(days=2, hours=12)),
                 FoundCode("FIVE", "Shop", expires=NOW + timedelta(days=5)),
                 FoundCode("GONE", "Shop", expires=NOW - timedelta(hours=1)))
    queries = Queries(repo, JobRepository(database), expiring_days=lambda: 3)
    listed = [c.code for c in queries.codes(CodeQuery(status="expiring", sort="expires",
                                                       descending=False))]
    announced = [c.code for c in repo.expiring_unnotified(3)]
    assert listed == announced == ["ONE", "TWOHALF"]
    six_days = Queries(repo, JobRepository(database), expiring_days=lambda: 6)
    assert len(six_days.code_ids(CodeQuery(status="expiring"))) == 3
    assert len(six_days.code_ids(CodeQuery(status="expiring", expiring_days=1))) == 1
