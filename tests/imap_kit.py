"""A real IMAP server for tests and benchmarks: a private Dovecot on a free loopback port.

Each instance has its own temporary config, runtime and mail folders, one user with a plain
password, and optionally a self-signed certificate (implicit TLS and STARTTLS). As root it runs
the login processes as ``dovenull`` and the mail processes as ``nobody`` (Dovecot refuses root for
both, ../shared/STACK-NOTES.md); as anyone else, everything runs as that user. Mail is put in the
user's Maildir as files, as a delivery agent would, so Dovecot assigns UIDs when it first sees it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
USER = "shopper@example.test"
PASSWORD = "app-pass-1234"


def available() -> bool:
    return Path(DOVECOT).exists() and Path(DOVEADM).exists() and shutil.which("openssl") is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    root: Path
    port: int  # plain IMAP (STARTTLS offered when tls)
    tls_port: int  # implicit TLS, 0 without tls
    tls: bool
    cert: Path | None
    mail_uid: int
    mail_gid: int
    user: str = USER
    password: str = PASSWORD

    @property
    def conf(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def maildir(self) -> Path:
        return self.root / "home" / self.user / "Maildir"

    def folder_dir(self, folder: str) -> Path:
        return self.maildir if folder == "INBOX" else self.maildir / f".{folder}"

    def add_messages(self, raws: Sequence[bytes], folder: str = "INBOX") -> list[Path]:
        """Delivers ``raws`` in order (older first) as Maildir files, seen by Dovecot at its next sync."""
        base = self.folder_dir(folder)
        for sub in ("cur", "new", "tmp"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        if folder != "INBOX":
            (base / "maildirfolder").touch()
        stamp = int(time.time())
        paths = []
        for i, raw in enumerate(raws):
            path = base / "new" / f"{stamp}.M{i}P{os.getpid()}Q{time.monotonic_ns()}.guard"
            path.write_bytes(raw)
            paths.append(path)
        self._own(self.maildir)
        return paths

    def doveadm(self, *args: str) -> str:
        done = subprocess.run([DOVEADM, "-c", str(self.conf), *args], capture_output=True,
                              text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def kick(self, user: str) -> None:
        """Ends the user's sessions and waits until none is left: ``doveadm kick`` only signals
        the imap processes, which may still answer one more command right after it returns."""
        self.doveadm("kick", user)
        deadline = time.monotonic() + 30
        while user in self.doveadm("who"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{user}'s IMAP sessions outlived doveadm kick")
            time.sleep(0.05)

    def set_password(self, password: str) -> None:
        """As when the user revokes an app password. Dovecot re-reads the file when its mtime moves,
        looking at most once a second: hence the wait."""
        path = self.root / "passwd"
        before = path.stat().st_mtime
        path.write_text(f"{self.user}:{{PLAIN}}{password}::::::\n")
        os.utime(path, (before + 5, before + 5))
        self.password = password
        time.sleep(1.1)

    def set_uidvalidity(self, folder: str, value: int) -> None:
        """What a server restore or rebuild does: every UID in the folder means something new."""
        self.doveadm("mailbox", "update", "-u", self.user, "--uid-validity", str(value), folder)

    def flags(self, folder: str = "INBOX") -> list[str]:
        out = self.doveadm("fetch", "-u", self.user, "flags", "mailbox", folder, "all")
        return [line.partition(":")[2].strip() for line in out.splitlines() if line.startswith("flags:")]

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _own(self, top: Path) -> None:
        if os.geteuid() != 0:
            return
        for dirpath, _dirnames, filenames in os.walk(top):
            os.chown(dirpath, self.mail_uid, self.mail_gid)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), self.mail_uid, self.mail_gid)


def _ids() -> tuple[str, str, int, int]:
    """Login user, internal user, and the uid/gid mail processes run as."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return "dovenull", "dovecot", nobody.pw_uid, nobody.pw_gid
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


def _make_cert(root: Path) -> Path:
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    key.chmod(0o600)
    return cert


def _oauth(root: Path, introspection_url: str) -> tuple[str, str]:
    """XOAUTH2 logins checked by POSTing the token to ``introspection_url`` (RFC 7662)."""
    if not introspection_url:
        return "plain login", ""
    (root / "oauth2.conf.ext").write_text(
        f"introspection_mode = post\nintrospection_url = {introspection_url}\n"
        "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
        "force_introspection = yes\n")
    passdb = f"""passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
"""
    return "plain login xoauth2 oauthbearer", passdb


def _config(root: Path, port: int, tls_port: int, tls: bool, uid: int, gid: int,
            login_user: str, internal_user: str, introspection_url: str = "") -> str:
    ssl = (f"ssl = yes\nssl_cert = <{root}/cert.pem\nssl_key = <{root}/key.pem\n"
           if tls else "ssl = no\n")
    mechanisms, oauth_passdb = _oauth(root, introspection_url)
    return f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 0
mail_location = maildir:~/Maildir
mail_plugins = $mail_plugins
{oauth_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@contextmanager
def dovecot(tls: bool = False, introspection_url: str = "") -> Iterator[Dovecot]:
    """A running Dovecot; stopped and its files removed on exit. With ``introspection_url`` it
    also takes XOAUTH2 logins, asking that endpoint whether each token is good."""
    # Not under pytest's tmp_path: that is 0700 root's, and the login user must reach base_dir.
    root = Path(tempfile.mkdtemp(prefix="gi-dovecot-", dir="/tmp"))
    root.chmod(0o755)
    login_user, internal_user, uid, gid = _ids()
    port = free_port()
    tls_port = free_port() if tls else 0
    cert = _make_cert(root) if tls else None
    for sub in ("run", "state", "home"):
        (root / sub).mkdir(mode=0o755)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    root.joinpath("dovecot.conf").write_text(
        _config(root, port, tls_port, tls, uid, gid, login_user, internal_user, introspection_url))
    server = Dovecot(root, port, tls_port, tls, cert, uid, gid)
    server.add_messages([])  # an empty INBOX
    # Output to a file, not a pipe: the daemon's children would hold a pipe open forever.
    with (root / "start.log").open("wb") as out:
        started = subprocess.run([DOVECOT, "-c", str(server.conf)], stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=subprocess.STDOUT, timeout=30)
    try:
        if started.returncode != 0:
            said = (root / "start.log").read_text(errors="replace").strip()
            raise RuntimeError(f"dovecot did not start: {said} {server.log()}")
        _wait_listening(port, server)
        yield server
    finally:
        subprocess.run([DOVEADM, "-c", str(server.conf), "stop"], capture_output=True, timeout=30)
        _wait_closed(port)
        shutil.rmtree(root, ignore_errors=True)


def _wait_listening(port: int, server: Dovecot, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"dovecot is not listening on {port}: {server.log()}")


def _wait_closed(port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(0.05)
        except OSError:
            return


def promo(i: int, code: str | None = None, *, subject: str | None = None) -> bytes:
    """A small promotional email whose code is unique per ``i`` unless ``code`` is given."""
    code = code or f"SAVE{i:05d}X"
    subject = subject or f"Your {10 + i % 40}% off code inside"
    return (
        f"From: Shop {i % 7} <deals{i % 7}@shop{i % 7}.example>\r\n"
        f"To: {USER}\r\n"
        f"Subject: {subject}\r\n"
        f"Date: Mon, 01 Jun 2026 10:{i % 60:02d}:00 +0000\r\n"
        f"Message-ID: <promo-{i}@shop.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"Hello! Use promo code {code} at checkout for {10 + i % 40}% off your next order.\r\n"
        "Offer ends 31 December 2030.\r\n"
    ).encode()
