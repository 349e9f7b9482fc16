"""Which shop a message is from: the From display name, else the sender's registrable domain.

Marketing mail is sent through ESPs (SendGrid, Mailchimp, Klaviyo, Braze, Salesforce Marketing
Cloud ...), whose domains show up in Return-Path, Sender and sometimes even From.  Those name
the ESP, not the shop, so only the From header is read, and an ESP domain there is replaced by
the Reply-To domain when that names someone else.
"""

from __future__ import annotations

import re
from email.utils import parseaddr


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Second-level labels under which ccTLDs sell names ("shop.co.uk", "shop.com.au").
_SECOND_LEVEL_LIST = "ac co com edu gen gob gov govt ltd me mil net nic nom or org plc sch"
_SECOND_LEVEL = frozenset(_SECOND_LEVEL_LIST.split())
# Multi-label public suffixes that the two-letter rule above does not catch.
_KNOWN_SUFFIXES = frozenset({"com.de", "co.com", "us.com", "uk.com", "eu.com"})
# Registrable domains of email service providers: never a merchant.
ESP_DOMAINS = _words(
    "sendgrid.net sendgrid.com mcsv.net mcdlv.net rsgsv.net list-manage.com mailchimp.com "
    "mailchimpapp.net mandrillapp.com klaviyomail.com klaviyo.com klclick.com klclick1.com braze.com "
    "braze.eu appboy.com exacttarget.com salesforce.com marketingcloudapps.com sfmc-content.com "
    "mailgun.org mailgun.net amazonses.com sparkpostmail.com createsend.com cmail19.com cmail20.com "
    "hubspotemail.net hubspot.com mktomail.com marketo.com customeriomail.com sendinblue.com "
    "brevo.com mailjet.com constantcontact.com rs6.net shopifyemail.com shopify.com omnisend.com "
    "emarsys.net iterable.com sailthru.com responsys.net bmsend.com postmarkapp.com mailerlite.com "
    "convertkit.com ck.page substack.com beehiiv.com"
)
_VIA = re.compile(r"\s*[(\[]?\bvia\b.*$", re.IGNORECASE)
_TEAM = re.compile(r"^(?:the\s+)?(?:team\s+)?|\s+team$|\s*[-|:]\s*$", re.IGNORECASE)
_NOISE_NAMES = re.compile(
    r"^(?:no[\s._-]?reply|do[\s._-]?not[\s._-]?reply|newsletters?|news|info|hello|team"
    r"|support|customer\s+service|notifications?|alerts?|mailer|marketing|offers|deals)$",
    re.IGNORECASE,
)
# Platform newsletters live on the platform's subdomain: "sundaysupper.substack.com".
_HOSTED = frozenset({"substack.com", "beehiiv.com", "ck.page"})


def registrable_domain(host: str) -> str:
    """``email.nike.com`` -> ``nike.com``; ``mail.tesco.co.uk`` -> ``tesco.co.uk``.

    A two-rule stand-in for the Public Suffix List, which would be a dependency and a data
    file to refresh for the sake of a display label.
    """
    labels = [label for label in host.strip().strip(".").lower().split(".") if label]
    if len(labels) <= 2:
        return ".".join(labels)
    last_two = ".".join(labels[-2:])
    country_second_level = len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL
    if country_second_level or last_two in _KNOWN_SUFFIXES:
        return ".".join(labels[-3:])
    return last_two


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().lower() if "@" in address else ""


def _shop_domain(host: str) -> str:
    domain = registrable_domain(host)
    if domain in _HOSTED:
        labels = host.lower().strip(".").split(".")
        return ".".join(labels[-3:]) if len(labels) >= 3 else domain
    return "" if domain in ESP_DOMAINS else domain


def merchant_from_sender(sender: str, reply_to: str = "") -> str:
    """Shop name for a From header: its display name when it has a useful one, else the
    registrable domain of the address (the Reply-To's when From is an ESP's address)."""
    name, address = parseaddr(sender)
    name = _VIA.sub("", name.strip().strip("\"'").strip())
    name = _TEAM.sub("", name).strip().strip("\"'").strip()
    if name and "@" not in name and not _NOISE_NAMES.match(name):
        return name
    domain = _shop_domain(_domain_of(address))
    if not domain and reply_to:
        domain = _shop_domain(_domain_of(parseaddr(reply_to)[1]))
    return domain
