"""Writes the add-account (IMAP) dialog's screenshots to docs/screenshots/ (offscreen, real app,
a real Dovecot from tests/imap_kit.py for the tested-connection shot).

    QT_QPA_PLATFORM=offscreen python scripts/screenshots_imap.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from PySide6.QtWidgets import QApplication  # noqa: E402
from screenshots import OUT, pump, save  # noqa: E402  (scripts/: this script's folder)

import imap_kit  # noqa: E402
from guard_inbox.bootstrap import start_app  # noqa: E402
from guard_inbox.bootstrap.app_api import BackgroundStart, CoreApi  # noqa: E402
from guard_inbox.bootstrap.core import Core  # noqa: E402
from guard_inbox.domain.imap import Security  # noqa: E402
from guard_inbox.extraction.pipeline import ExtractionPipeline  # noqa: E402
from guard_inbox.mail.gmail.tokens import FileTokenStore  # noqa: E402
from guard_inbox.mail.imap.factory import ImapSourceFactory  # noqa: E402
from guard_inbox.paths import AppPaths  # noqa: E402
from guard_inbox.services.imap_accounts import ImapAccounts  # noqa: E402
from guard_inbox.services.sources import LocalSourceFactory  # noqa: E402
from guard_inbox.settings import Settings  # noqa: E402
from guard_inbox.ui.dialogs.add_imap import AddImapDialog  # noqa: E402
from guard_inbox.ui.main_window import MainWindow  # noqa: E402


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    with imap_kit.dovecot() as server, tempfile.TemporaryDirectory(prefix="gi-shots-") as tmp:
        server.add_messages([imap_kit.promo(i) for i in range(3)])
        server.add_messages([imap_kit.promo(9)], folder="Deals")
        server.add_messages([imap_kit.promo(8)], folder="Newsletters")
        paths = AppPaths(Path(tmp) / "data").ensure()
        store = FileTokenStore(Path(tmp) / "secrets.json")
        factory = ImapSourceFactory(store, LocalSourceFactory())
        core = Core(paths, Settings(paths.settings_file, env={}), factory, ExtractionPipeline())
        core.open_database()
        api = CoreApi(core, start=BackgroundStart(lambda: start_app(core)),
                      imap=lambda: ImapAccounts(core.repository, store, factory))
        window = MainWindow(api, core.settings, Path(tmp) / "window.ini")
        window.resize(1100, 700)
        window.show()
        window.start_background()
        pump(window.scan_action.isEnabled)
        pump(lambda: window.pages.currentWidget() is window.welcome, 10)
        save(window, "welcome-imap")

        window.account_actions.add_imap("yahoo")
        dialog = window.account_actions.imap_dialog
        assert isinstance(dialog, AddImapDialog)
        dialog.user.setText("jane.doe@yahoo.com")
        dialog.password.setText("abcdefghijklmnop")
        save(dialog, "add-imap-yahoo")
        dialog.choose_provider("outlook")
        dialog.user.setText("jane.doe@outlook.com")
        save(dialog, "add-imap-outlook")

        dialog.choose_provider("other")
        dialog.user.setText(server.user)
        dialog.password.setText(server.password)
        dialog.host.setText("127.0.0.1")
        dialog.security.setCurrentIndex(dialog.security.findData(Security.NONE.value))
        dialog.port.setValue(server.port)
        dialog.test()
        pump(lambda: dialog.folders.count() > 1, 20)
        save(dialog, "add-imap-tested")
        dialog.close()
        window.shutdown()
        core.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
