"""Table definitions. Rows never leave storage/: repository.py maps them to domain objects."""

from __future__ import annotations

import peewee

database_proxy = peewee.DatabaseProxy()


class BaseTable(peewee.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class SchemaVersion(BaseTable):
    version = peewee.IntegerField(primary_key=True)
    applied_at = peewee.DateTimeField()


class AccountRow(BaseTable):
    kind = peewee.CharField(max_length=16)
    address = peewee.CharField(max_length=1024)
    display_name = peewee.CharField(max_length=255, default="")
    status = peewee.CharField(max_length=32, default="ok")
    status_message = peewee.TextField(default="")
    sync_state = peewee.CharField(max_length=255, default="")
    created_at = peewee.DateTimeField()
    last_scan_at = peewee.DateTimeField(null=True)
    # Migration 4: a paused account is left out of scheduled scans; a removed one whose codes
    # were kept stays as their owner, out of every account list. Nullable: SQLite can add a
    # NOT NULL column only by rebuilding the table, and dropping the old account table would
    # cascade to every job, checkpoint and code.
    paused = peewee.BooleanField(null=True, default=False)
    removed_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "account"
        indexes = ((("kind", "address"), True),)


class JobRow(BaseTable):
    account = peewee.ForeignKeyField(AccountRow, backref="jobs", on_delete="CASCADE")
    state = peewee.CharField(max_length=16, index=True)
    trigger = peewee.CharField(max_length=16, default="manual")
    priority = peewee.IntegerField(default=100)
    created_at = peewee.DateTimeField()
    started_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)
    total = peewee.IntegerField(default=0)
    scanned = peewee.IntegerField(default=0)
    codes_found = peewee.IntegerField(default=0)
    codes_new = peewee.IntegerField(default=0)
    attempts = peewee.IntegerField(default=0)
    error = peewee.TextField(default="")
    next_attempt_at = peewee.DateTimeField(null=True)
    worker_id = peewee.CharField(max_length=255, default="")
    heartbeat_at = peewee.DateTimeField(null=True)
    cancel_requested = peewee.BooleanField(default=False)
    enqueued_at = peewee.DateTimeField(null=True)
    tokens_used = peewee.IntegerField(default=0)

    class Meta:
        table_name = "scan_job"


class MessageRow(BaseTable):
    """Per-message checkpoint: a resumed or repeated scan skips what is here."""

    account = peewee.ForeignKeyField(AccountRow, backref="messages", on_delete="CASCADE")
    provider_id = peewee.CharField(max_length=512)
    date = peewee.DateTimeField(null=True)
    sender = peewee.TextField(default="")
    subject = peewee.TextField(default="")
    snippet = peewee.TextField(default="")
    scanned_at = peewee.DateTimeField()
    job = peewee.ForeignKeyField(JobRow, null=True, on_delete="SET NULL")
    error = peewee.TextField(default="")

    class Meta:
        table_name = "scanned_message"
        indexes = ((("account", "provider_id"), True),)


class CodeRow(BaseTable):
    account = peewee.ForeignKeyField(AccountRow, backref="codes", on_delete="CASCADE")
    code = peewee.CharField(max_length=128)
    code_key = peewee.CharField(max_length=128)
    merchant = peewee.CharField(max_length=255, default="")
    merchant_key = peewee.CharField(max_length=255, default="")
    discount = peewee.TextField(default="")
    expires_at = peewee.DateTimeField(null=True, index=True)
    min_spend = peewee.CharField(max_length=64, default="")
    link = peewee.TextField(default="")
    source = peewee.CharField(max_length=16, default="rules")
    message = peewee.ForeignKeyField(MessageRow, null=True, on_delete="SET NULL")
    first_seen = peewee.DateTimeField()
    last_seen = peewee.DateTimeField()
    used = peewee.BooleanField(default=False)
    expiry_notified_at = peewee.DateTimeField(null=True)
    # Accent- and case-folded copies (domain/folding.py): search is one LIKE on these.
    search_key = peewee.TextField(default="")
    shop_key = peewee.CharField(max_length=255, default="")
    # Migration 4: the last job that saw this code, so a job counts each code once (new or
    # already known) however many messages repeat it, across its checkpoints and retries.
    seen_by_job = peewee.IntegerField(null=True)

    class Meta:
        table_name = "promo_code"
        # Case-insensitive uniqueness through normalised key columns works the
        # same on SQLite and PostgreSQL.
        indexes = ((("account", "merchant_key", "code_key"), True),)


ALL_TABLES: list[type[BaseTable]] = [SchemaVersion, AccountRow, JobRow, MessageRow, CodeRow]
