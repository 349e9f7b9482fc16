"""The settings dialog as pages: General (theme at once, start at login), Accounts, Advanced
(every number with its unit) and Diagnostics (the queue panel, moved out of the window)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QSpinBox,
)
from pytestqt.qtbot import QtBot

from guard_inbox.autostart import XdgAutostart
from guard_inbox.bootstrap import start_app
from guard_inbox.bootstrap.app_api import BackgroundStart, CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind
from guard_inbox.services.api import Changes
from guard_inbox.settings import Settings
from guard_inbox.ui import palette
from guard_inbox.ui.dialogs.settings_dialog import PageServices, SettingsDialog
from guard_inbox.ui.taskman import TaskManager

COMMAND = ["/usr/bin/guard-inbox-gui"]


@pytest.fixture
def system_theme(qtbot: QtBot) -> Iterator[QApplication]:
    """Every test leaves the application on the system theme it found."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    yield app
    palette.apply_theme("system")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path / "settings.json", env={})


def make_dialog(qtbot: QtBot, settings: Settings, **kwargs: object) -> SettingsDialog:
    dialog = SettingsDialog(settings, broker_embedded=True, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


def test_general_holds_the_everyday_settings_and_advanced_the_plumbing(
    qtbot: QtBot, settings: Settings
) -> None:
    dialog = make_dialog(qtbot, settings)
    assert set(dialog.general.editors) == {
        "scan.interval_minutes", "notify.enabled", "notify.expiring_days", "ui.theme",
        "ui.start_at_login", "ui.start_minimised"}
    for key in ("scan.concurrency", "scan.retry_attempts", "ai.model", "broker.url",
                "database.url", "ai.timeout_seconds"):
        assert key in dialog.advanced.editors, key
    assert "scan.stale_after_seconds" not in dialog.editors  # tuning knobs stay out of sight


def test_every_number_says_its_unit(qtbot: QtBot, settings: Settings) -> None:
    dialog = make_dialog(qtbot, settings)
    spins = [e for e in dialog.editors.values() if isinstance(e, QSpinBox | QDoubleSpinBox)]
    assert len(spins) >= 8
    for spin in spins:
        assert spin.suffix().strip(), spin.objectName()
    timeout = dialog.editors["ai.timeout_seconds"]
    assert isinstance(timeout, QDoubleSpinBox) and timeout.text() == "20.0 seconds"
    interval = dialog.editors["scan.interval_minutes"]
    assert isinstance(interval, QSpinBox) and interval.text() == "60 minutes"
    interval.setValue(0)
    assert interval.text().startswith("Never")


def test_pages_are_listed_like_system_settings_and_switch_the_stack(
    qtbot: QtBot, settings: Settings, api: CoreApi
) -> None:
    tasks = TaskManager()
    services = PageServices(api, tasks, lambda _c: None, lambda exc: pytest.fail(str(exc)))
    dialog = make_dialog(qtbot, settings, services=services, accounts_page=QLabel("accounts"))
    assert dialog.page_titles() == ["General", "Accounts", "Advanced", "Diagnostics"]
    dialog.show_page("Advanced")
    assert dialog.current_page() is dialog.advanced
    dialog.page_list.setCurrentRow(0)
    assert dialog.current_page() is dialog.general
    dialog.page_list.setCurrentRow(3)
    assert dialog.current_page() is dialog.diagnostics
    tasks.wait()


def test_the_theme_applies_at_once_cancel_undoes_it_and_ok_keeps_it(
    qtbot: QtBot, settings: Settings, tmp_path: Path, system_theme: QApplication
) -> None:
    before = system_theme.palette().color(QPalette.ColorRole.Window)
    dialog = make_dialog(qtbot, settings)
    theme = dialog.editors["ui.theme"]
    assert isinstance(theme, QComboBox)
    assert [theme.itemText(i) for i in range(theme.count())] == ["System", "Light", "Dark"]
    theme.setCurrentIndex(theme.findData("dark"))
    assert palette.is_dark()  # before OK: the user sees the choice at once
    assert system_theme.palette().color(QPalette.ColorRole.Window).lightness() < 128
    dialog.reject()
    assert system_theme.palette().color(QPalette.ColorRole.Window) == before
    assert palette.current_theme() == "system"

    dialog = make_dialog(qtbot, settings)
    theme = dialog.editors["ui.theme"]
    assert isinstance(theme, QComboBox)
    theme.setCurrentIndex(theme.findData("dark"))
    dialog.accept()
    assert Settings(tmp_path / "settings.json", env={}).get("ui.theme") == "dark"
    assert palette.is_dark()


def test_start_at_login_writes_and_removes_the_xdg_entry(
    qtbot: QtBot, settings: Settings, tmp_path: Path
) -> None:
    autostart = XdgAutostart(tmp_path / "xdg-config", COMMAND)
    dialog = make_dialog(qtbot, settings, autostart=autostart)
    assert not dialog.general.start_at_login.isChecked()
    assert str(autostart.path) in dialog.general.login_hint.text()
    dialog.general.start_at_login.setChecked(True)
    dialog.accept()
    assert (tmp_path / "xdg-config" / "autostart" / "guard-inbox.desktop").is_file()
    assert Settings(tmp_path / "settings.json", env={}).get("ui.start_at_login") is True

    again = make_dialog(qtbot, settings, autostart=autostart)
    assert again.general.start_at_login.isChecked()  # read back from the entry
    again.general.start_at_login.setChecked(False)
    again.accept()
    assert not autostart.path.exists()


def test_the_entry_switched_off_elsewhere_shows_as_off(
    qtbot: QtBot, settings: Settings, tmp_path: Path
) -> None:
    settings.set("ui.start_at_login", True)  # what we recorded; the desktop's list disagrees
    autostart = XdgAutostart(tmp_path, COMMAND)
    dialog = make_dialog(qtbot, settings, autostart=autostart)
    assert not dialog.general.start_at_login.isChecked()


def test_a_start_up_entry_that_cannot_be_written_keeps_the_dialog_open_saying_why(
    qtbot: QtBot, settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "autostart").write_text("a file where the folder should be")
    dialog = make_dialog(qtbot, settings, autostart=XdgAutostart(tmp_path, COMMAND))
    dialog.show()
    dialog.general.start_at_login.setChecked(True)
    interval = dialog.editors["scan.interval_minutes"]
    assert isinstance(interval, QSpinBox)
    interval.setValue(15)
    dialog.accept()
    assert dialog.isVisible() and "Could not write" in dialog.error.text()
    assert settings.get("ui.start_at_login") is False  # records the truth, not the wish
    assert settings.get("scan.interval_minutes") == 60  # nothing changed: Cancel is still Cancel


def test_diagnostics_shows_the_queue_and_retries_a_failed_scan(
    qtbot: QtBot, settings: Settings, make_core: Callable[..., Core], tmp_path: Path
) -> None:
    core = make_core(scan__retry_attempts=0)  # a missing mailbox fails at once
    api = CoreApi(core, start=BackgroundStart(lambda: start_app(core)))
    api.wait_started(30)
    missing = core.repository.add_account(AccountKind.MBOX, str(tmp_path / "gone.mbox"), "gone")
    job = api.scan([missing.id]).jobs[0]
    qtbot.waitUntil(lambda: api.queue_stats().failed == 1, timeout=30000)
    tasks = TaskManager()
    published: list[Changes] = []
    services = PageServices(api, tasks, published.append, lambda exc: pytest.fail(str(exc)))
    dialog = make_dialog(qtbot, settings, services=services)
    diagnostics = dialog.diagnostics
    assert diagnostics is not None and not diagnostics.timer.isActive()
    dialog.show()
    dialog.show_page("Diagnostics")  # shown: it reads the queue, then every 2 s
    qtbot.waitUntil(lambda: diagnostics.queue.failures.count() == 1, timeout=10000)
    assert diagnostics.queue.values["failed"].text() == "1"
    assert "not available" in diagnostics.queue.failures.item(0).text()
    assert diagnostics.timer.isActive()
    diagnostics.queue.failures.item(0).setSelected(True)
    diagnostics.queue.retry_button.click()
    qtbot.waitUntil(lambda: bool(published), timeout=10000)
    assert [j.id for j in published[0].jobs] == [job.id]  # the window's views hear of it
    dialog.show_page("General")
    assert not diagnostics.timer.isActive()  # hidden: no polling
    tasks.wait()


def test_the_start_up_hint_shows_a_home_path_as_people_know_it(
    qtbot: QtBot, settings: Settings
) -> None:
    autostart = XdgAutostart(Path.home() / ".config", COMMAND)  # only read, never written here
    dialog = make_dialog(qtbot, settings, autostart=autostart)
    assert dialog.general.login_hint.text().endswith(": ~/.config/autostart/guard-inbox.desktop")


def test_a_given_accounts_page_takes_the_accounts_slot(
    qtbot: QtBot, settings: Settings, api: CoreApi
) -> None:
    tasks = TaskManager()
    services = PageServices(api, tasks, lambda _c: None, lambda exc: pytest.fail(str(exc)))
    own = QLabel("the account actions' page")
    dialog = make_dialog(qtbot, settings, services=services, accounts_page=own)
    dialog.show_page("Accounts")
    assert dialog.current_page() is own and dialog.accounts is own
    tasks.wait()


def test_a_fixed_url_says_why_beside_it_and_a_blank_one_what_blank_means(
    qtbot: QtBot, tmp_path: Path
) -> None:
    settings = Settings(tmp_path / "settings.json", env={"DATABASE_URL": "postgresql://db/gi"})
    dialog = make_dialog(qtbot, settings)
    database, redis = dialog.editors["database.url"], dialog.editors["broker.url"]
    assert not database.isEnabled() and not redis.isEnabled()
    why = {label.objectName(): label.text() for label in dialog.advanced.findChildren(QLabel)}
    assert why["database.url-why"] == "Set by the DATABASE_URL environment variable."
    assert why["broker.url-why"].startswith("Guard Inbox runs its own job queue")
    endpoint = dialog.editors["gmail.endpoint"]
    assert isinstance(endpoint, QLineEdit) and endpoint.placeholderText() == "Google"
    dialog.accept()
    assert "postgresql" not in (tmp_path / "settings.json").read_text()  # env stays env
