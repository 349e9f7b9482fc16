"""Wire-accurate local fakes of Google's Gmail API and OAuth endpoints (stdlib only)."""

from .browser import FakeBrowser, visit
from .gmail_server import FakeGmail
from .oauth_server import FakeGoogleOAuth

__all__ = ["FakeBrowser", "FakeGmail", "FakeGoogleOAuth", "visit"]
