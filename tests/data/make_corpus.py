"""Writes tests/data/corpus/*.eml and labels.jsonl from the hand-written sources in corpus_src/.

    .venv/bin/python tests/data/make_corpus.py

Every message's wording lives in ``corpus_src/*.txt`` (one block per message, written by hand);
this script only dresses it as the mail senders really send: multipart/alternative or
HTML-only, quoted-printable or base64, UTF-8 or Latin-1/cp1252, ESP click-tracking wrappers,
hidden preheaders, CSS with hex colours, footers with unsubscribe tokens and addresses.
The output is deterministic (hashes, not randomness), so re-running it changes nothing.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import sys
from email.message import EmailMessage
from email.policy import SMTP, default
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "corpus_src"
OUT = HERE / "corpus"
HOLDOUT_SHARE = 30  # percent

_INLINE_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_DETAIL_KEYS = ("discount", "expires", "min_spend", "merchant", "link")

FOOTERS = {
    "en": (
        "View this email in your browser",
        "You are receiving this email because you signed up at {site}.",
        "Unsubscribe",
        "Manage preferences",
        "Privacy policy",
    ),
    "es": (
        "Ver en el navegador",
        "Recibes este correo porque te registraste en {site}.",
        "Darse de baja",
        "Preferencias",
        "Política de privacidad",
    ),
    "fr": (
        "Voir la version en ligne",
        "Vous recevez cet e-mail car vous êtes inscrit(e) sur {site}.",
        "Se désinscrire",
        "Gérer mes préférences",
        "Confidentialité",
    ),
    "de": (
        "Im Browser ansehen",
        "Sie erhalten diese E-Mail, weil Sie sich auf {site} angemeldet haben.",
        "Abmelden",
        "Einstellungen",
        "Datenschutz",
    ),
    "it": (
        "Visualizza nel browser",
        "Ricevi questa email perché sei iscritto a {site}.",
        "Annulla l'iscrizione",
        "Preferenze",
        "Privacy",
    ),
    "pt": (
        "Ver no navegador",
        "Você está recebendo este e-mail porque se cadastrou em {site}.",
        "Descadastrar",
        "Preferências",
        "Política de privacidade",
    ),
    "pl": (
        "Zobacz w przeglądarce",
        "Otrzymujesz tę wiadomość, ponieważ zapisałeś się na {site}.",
        "Wypisz się",
        "Ustawienia powiadomień",
        "Polityka prywatności",
    ),
}
ADDRESSES = {
    "en": (
        "{name}, 2200 Market Street, Suite 410, San Francisco, CA 94114, USA. Call us: (415) 555-0182",
        "{name} Ltd, Unit 4, 18 Canal Road, Leeds LS12 2PL, United Kingdom. Tel 0113 496 0824",
        "{name} Inc., 1450 Broadway, 21st Floor, New York, NY 10018 | 1-800-555-0139",
    ),
    "es": ("{name} S.L., Calle de Alcalá 123, 28009 Madrid, España. CIF B12345678. Tel. +34 910 123 456",),
    "fr": (
        "{name} SAS, 12 rue de la Paix, 75002 Paris, France. RCS Paris 812 345 678. Tél : 01 84 88 12 34",
    ),
    "de": (
        "{name} GmbH, Friedrichstraße 68, 10117 Berlin. HRB 204512 B, USt-IdNr. DE312345678. "
        "Tel. +49 30 12345678",
    ),
    "it": ("{name} S.r.l., Via Torino 45, 20123 Milano (MI). P.IVA 09876543210. Tel. 02 8736 4410",),
    "pt": (
        "{name} Ltda., Av. Paulista 1578, São Paulo - SP, 01310-200. CNPJ 12.345.678/0001-90. "
        "SAC 0800 777 1234",
    ),
    "pl": (
        "{name} Sp. z o.o., ul. Prosta 20, 00-850 Warszawa. NIP 527-123-45-67, KRS 0000765432. "
        "Tel. +48 22 123 45 67",
    ),
}
ESP_WRAP = {
    "sendgrid": "https://u{n}.ct.sendgrid.net/ls/click?upn={tok}",
    "mailchimp": "https://{sld}.us{d}.list-manage.com/track/click?u={tok}&id={tok2}&e={tok3}",
    "klaviyo": "https://trk.klclick{d}.com/ls/click?upn={tok}",
    "braze": "https://ablink.email.{host}/ls/click?upn={tok}",
    "sfmc": "https://click.e.{host}/?qs={tok}{tok2}",
    "redirect": "https://links.{host}/els/v2/{tok}?url={dest}",
}
ESP_RETURN = {
    "sendgrid": "bounces+{n}-{tok3}@em{d}.{host}",
    "mailchimp": "bounce-mc.us{d}_{n}.{tok3}-me=inbox.example@mail{d}.atl{d}1.mcsv.net",
    "klaviyo": "bounce-{tok3}@send.klaviyomail.com",
    "braze": "bounce-{tok3}@bounce.email.{host}",
    "sfmc": "bounce-{n}_HTML-{tok3}@bounce.e.{host}",
    "redirect": "bounce@{host}",
}


def _tok(*parts: str, size: int = 24) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:size]


class Spec:
    """One message as written in corpus_src: header fields and body lines."""

    def __init__(self, name: str, fields: dict[str, str], body: list[str]) -> None:
        self.name = name
        self.fields = fields
        self.body = body
        self.lang = fields.get("lang", "en")
        address = fields["from"].rsplit("<", 1)[-1].strip(">").strip()
        self.host = address.rpartition("@")[2]
        labels = self.host.split(".")
        self.site = ".".join(labels[-3:] if labels[-2] in ("co", "com") else labels[-2:])
        self.display = fields["from"].split("<")[0].strip().strip('"') or self.site
        self.esp = fields.get("esp", "")

    def get(self, key: str, fallback: str = "") -> str:
        return self.fields.get(key, fallback)

    def h(self, salt: str) -> int:
        return int(_tok(self.name, salt, size=8), 16)

    def wrap(self, url: str) -> str:
        if not self.esp or url.startswith(("mailto:", "tel:")) or self.get("wrap") == "no":
            return url
        n, d = str(self.h("n") % 9_000_000 + 1_000_000), str(self.h("d") % 9 + 1)
        return ESP_WRAP[self.esp].format(
            n=n,
            d=d,
            sld=self.site.split(".")[0],
            host=self.site,
            dest=quote(url, safe=""),
            tok=_tok(self.name, url, size=48),
            tok2=_tok(url, size=10),
            tok3=_tok(self.name, size=12),
        )


def parse_sources() -> list[Spec]:
    specs: list[Spec] = []
    for path in sorted(SOURCES.glob("*.txt")):
        blocks = re.split(r"^=== ", path.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]
        for block in blocks:
            head, _, rest = block.partition("\n")
            meta, sep, body = rest.partition("\n---\n")
            if not sep:
                raise SystemExit(f"{path.name}: {head.strip()} has no --- line")
            fields: dict[str, str] = {}
            for line in meta.splitlines():
                if line.strip():
                    key, _, value = line.partition(":")
                    fields[key.strip()] = value.strip()
            specs.append(Spec(head.strip(), fields, body.rstrip("\n").split("\n")))
    names = [spec.name for spec in specs]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise SystemExit(f"duplicate names: {sorted(dupes)}")
    return specs


# -- body rendering -----------------------------------------------------------------------------


def _kind(line: str) -> str:
    if re.fullmatch(r"\[[^\]]+\]\([^)]+\)", line.strip()) or line.startswith(("#", ">", "![", "[[")):
        return "single"
    for prefix in ("- ", "|", "~ ", "T|", "H|"):
        if line.startswith(prefix):
            return prefix
    return "para"


def _paragraphs(lines: list[str]) -> list[list[str]]:
    """Groups body lines into blocks of one kind; blank lines end a block; <<< >>> is raw html."""
    blocks: list[list[str]] = []
    current: list[str] = []
    raw: list[str] | None = None
    for line in lines:
        if raw is not None:
            if line.strip() == ">>>":
                blocks.append(["<<<", *raw])
                raw = None
            else:
                raw.append(line)
            continue
        kind = _kind(line) if line.strip() else ""
        if current and (not kind or kind == "single" or _kind(current[0]) != kind):
            blocks.append(current)
            current = []
        if line.strip() == "<<<":
            raw = []
        elif kind:
            current.append(line)
    if current:
        blocks.append(current)
    return blocks


def _inline_html(spec: Spec, text: str) -> str:
    out, last = [], 0
    for match in _INLINE_LINK.finditer(text):
        out.append(html.escape(text[last : match.start()], quote=False))
        label, url = match.groups()
        out.append(f'<a href="{html.escape(spec.wrap(url))}" style="color:#1a5fb4">{html.escape(label)}</a>')
        last = match.end()
    out.append(html.escape(text[last:], quote=False))
    return _BOLD.sub(r"<strong>\1</strong>", "".join(out))


def _inline_text(spec: Spec, text: str) -> str:
    style = spec.h("links") % 3

    def link(match: re.Match[str]) -> str:
        label, url = match.groups()
        url = spec.wrap(url)
        return [f"{label} ({url})", f"{label} <{url}>", f"{label}: {url}"][style]

    return _BOLD.sub(r"\1", _INLINE_LINK.sub(link, text))


def render_html_blocks(spec: Spec, accent: str) -> str:
    parts: list[str] = []
    for block in _paragraphs(spec.body):
        first = block[0]
        if first == "<<<":
            parts.append("\n".join(block[1:]))
        elif first.startswith("T|"):
            continue
        elif first.startswith("H|"):
            parts.append("\n".join(line[2:] for line in block))
        elif first.startswith(">"):
            continue  # preheader, placed by the skin
        elif first.startswith("# "):
            parts.append(
                f'<h1 style="font-size:28px;color:{accent};margin:0 0 12px">'
                f"{_inline_html(spec, first[2:])}</h1>"
            )
        elif first.startswith("## "):
            parts.append(f'<h2 style="font-size:20px;margin:16px 0 8px">{_inline_html(spec, first[3:])}</h2>')
        elif first.startswith("!["):
            for line in block:
                alt, src = re.match(r"!\[([^\]]*)\]\(([^)]+)\)", line).groups()  # type: ignore[union-attr]
                parts.append(
                    f'<a href="{html.escape(spec.wrap("https://www." + spec.site + "/"))}">'
                    f'<img src="{html.escape(src)}" alt="{html.escape(alt)}" width="600" '
                    f'style="display:block;border:0;width:100%;max-width:600px"></a>'
                )
        elif first.startswith("[[") and first.endswith("]]"):
            code = html.escape(first[2:-2].strip())
            parts.append(
                f'<table role="presentation" align="center" cellpadding="0" cellspacing="0">'
                f'<tr><td class="code-box" style="border:2px dashed {accent};padding:12px 28px;'
                f'font-size:24px;letter-spacing:3px;font-family:Courier,monospace">{code}</td>'
                f"</tr></table>"
            )
        elif re.fullmatch(r"\[[^\]]+\]\([^)]+\)", first) and len(block) == 1:
            label, url = _INLINE_LINK.match(first).groups()  # type: ignore[union-attr]
            parts.append(
                f'<table role="presentation" align="center"><tr><td bgcolor="{accent}" '
                f'style="border-radius:4px;padding:14px 30px"><a class="btn" href="'
                f'{html.escape(spec.wrap(url))}" style="color:#ffffff;text-decoration:none;'
                f'font-weight:bold">{html.escape(label)}</a></td></tr></table>'
            )
        elif first.startswith("- "):
            items = "".join(f"<li>{_inline_html(spec, line[2:])}</li>" for line in block)
            parts.append(f"<ul>{items}</ul>")
        elif first.startswith("|"):
            rows = []
            for line in block:
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                rows.append(
                    "<tr>"
                    + "".join(f'<td style="padding:4px 8px">{_inline_html(spec, c)}</td>' for c in cells)
                    + "</tr>"
                )
            parts.append(f'<table role="presentation" width="100%">{"".join(rows)}</table>')
        elif first.startswith("~ "):
            text = " ".join(line[2:] for line in block)
            parts.append(
                f'<p style="font-size:11px;color:#8a8a8a;line-height:15px">{_inline_html(spec, text)}</p>'
            )
        else:
            text = "<br>\n".join(_inline_html(spec, line) for line in block)
            parts.append(f'<p style="margin:0 0 14px;line-height:22px">{text}</p>')
    return "\n".join(parts)


def render_text(spec: Spec) -> str:
    out: list[str] = []
    for block in _paragraphs(spec.body):
        first = block[0]
        if first in ("<<<",) or first.startswith(("H|", ">", "![")):
            continue
        if first.startswith("T|"):
            out.append("\n".join(line[2:].strip() for line in block))
        elif first.startswith("#"):
            title = _inline_text(spec, first.lstrip("# "))
            out.append(title.upper() if spec.h("caps") % 2 else f"{title}\n{'=' * len(title)}")
        elif first.startswith("[[") and first.endswith("]]"):
            out.append(f"    {first[2:-2].strip()}")
        elif re.fullmatch(r"\[[^\]]+\]\([^)]+\)", first) and len(block) == 1:
            label, url = _INLINE_LINK.match(first).groups()  # type: ignore[union-attr]
            url = spec.wrap(url)
            out.append(f"{label.upper()} -> {url}" if spec.h("btn") % 2 else f"{label}:\n{url}")
        elif first.startswith("|"):
            out.append(
                "\n".join("  ".join(c.strip() for c in ln.strip().strip("|").split("|")) for ln in block)
            )
        else:
            out.append("\n".join(_inline_text(spec, line.lstrip("~").strip()) for line in block))
    return "\n\n".join(out)


def _footer(spec: Spec) -> tuple[str, str]:
    view, why, unsub, prefs, privacy = FOOTERS[spec.lang]
    pool = ADDRESSES.get(spec.lang, ADDRESSES["en"])
    address = spec.get("address") or pool[spec.h("addr") % len(pool)].format(name=spec.display)
    token = _tok(spec.name, "unsub", size=40)
    unsub_url = f"https://www.{spec.site}/unsubscribe?u={token[:18]}&id={token[18:28]}&e={token[28:]}"
    prefs_url = f"https://www.{spec.site}/preferences?t={_tok(spec.name, 'prefs', size=32).upper()}"
    html_footer = (
        f'<p style="font-size:11px;color:#999999">{html.escape(why.format(site=spec.site))}<br>'
        f'{html.escape(address)}<br><a href="{html.escape(spec.wrap(unsub_url))}" style="color:#999">'
        f'{html.escape(unsub)}</a> | <a href="{html.escape(spec.wrap(prefs_url))}" style="color:#999">'
        f'{html.escape(prefs)}</a> | <a href="https://www.{spec.site}/privacy">{html.escape(privacy)}</a></p>'
    )
    text_footer = f"--\n{why.format(site=spec.site)}\n{address}\n{unsub}: {unsub_url}\n{prefs}: {prefs_url}"
    return html_footer, text_footer


def _pixel(spec: Spec) -> str:
    return (
        f'<img src="https://open.{spec.site}/o/{_tok(spec.name, "px", size=32)}.gif" width="1" '
        'height="1" alt="" style="display:none">'
    )


def render_html(spec: Spec) -> str:
    skin = spec.get("skin") or ("table", "block", "plain", "table", "block")[spec.h("skin") % 5]
    accent = ("#e4002b", "#0a7d55", "#1d3557", "#ff6f00", "#6a1b9a", "#111111")[spec.h("accent") % 6]
    pre = " ".join(line[1:].strip() for line in spec.body if line.startswith(">"))
    pad = "&#847;&zwnj;&nbsp;" * 12
    preheader = (
        (
            f'<div class="preheader" style="display:none;max-height:0;overflow:hidden;'
            f'mso-hide:all">{html.escape(pre)}{pad}</div>'
        )
        if pre
        else ""
    )
    view = FOOTERS[spec.lang][0]
    view_url = spec.wrap(f"https://view.{spec.site}/?m={_tok(spec.name, 'view', size=20)}")
    content = render_html_blocks(spec, accent)
    foot_html, _ = _footer(spec)
    logo = (
        f'<img src="https://cdn.{spec.site}/img/logo.png" alt="{html.escape(spec.display)}" '
        'width="140" style="border:0">'
    )
    style = (
        f'<style type="text/css">body{{margin:0;padding:0;background:#f4f4f4}}'
        f".btn{{background:{accent};color:#fff!important}}.code-box{{border-color:{accent}}}"
        f"a{{color:#1a5fb4}}@media only screen and (max-width:600px){{.container{{width:100%!important}}"
        f".hide-mobile{{display:none!important}}}}</style>"
    )
    if skin == "plain":
        return (
            f'<html><head><meta charset="{spec.get("charset", "utf-8")}">{style}</head><body>'
            f'{preheader}<div style="max-width:640px;margin:0 auto;font-family:Georgia,serif">'
            f"{content}<hr>{foot_html}</div>{_pixel(spec)}</body></html>"
        )
    if skin == "block":
        return (
            f'<!DOCTYPE html><html lang="{spec.lang}"><head><meta http-equiv="Content-Type" '
            f'content="text/html; charset={spec.get("charset", "utf-8")}">'
            f"<title>{html.escape(spec.get('subject'))}</title>"
            f'{style}</head><body>{preheader}<div class="container" style="max-width:600px;'
            f'margin:0 auto;background:#ffffff"><div style="text-align:right;font-size:11px">'
            f'<a href="{html.escape(view_url)}">{html.escape(view)}</a></div>'
            f'<div style="text-align:center;padding:20px">{logo}</div>'
            f'<div style="padding:0 24px;font-family:Helvetica,Arial,sans-serif;color:#333333">'
            f'{content}</div><div style="padding:24px;background:#fafafa">{foot_html}</div></div>'
            f"{_pixel(spec)}</body></html>"
        )
    return (
        f'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        f'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd"><html><head>'
        f'<meta name="viewport" content="width=device-width">{style}'
        f"<!--[if mso]><style>table{{border-collapse:collapse}}</style><![endif]--></head>"
        f'<body bgcolor="#f4f4f4">{preheader}<table width="100%" bgcolor="#f4f4f4" cellpadding="0" '
        f'cellspacing="0"><tr><td align="center"><table class="container" width="600" '
        f'bgcolor="#ffffff" cellpadding="0" cellspacing="0"><tr><td align="right" '
        f'style="font-size:10px;padding:6px"><a href="{html.escape(view_url)}">{html.escape(view)}</a>'
        f'</td></tr><tr><td align="center" style="padding:18px">{logo}</td></tr><tr><td '
        f'style="padding:0 30px 20px;font-family:Arial,sans-serif;font-size:15px;color:#222222">'
        f'{content}</td></tr><tr><td style="padding:20px 30px;border-top:1px solid #eeeeee">{foot_html}'
        f"</td></tr></table></td></tr></table>{_pixel(spec)}</body></html>"
    )


# -- MIME ---------------------------------------------------------------------------------------


def build(spec: Spec) -> bytes:
    msg = EmailMessage(policy=SMTP if spec.h("crlf") % 3 == 0 else default)
    name = spec.name
    msg["From"] = spec.get("from")
    msg["To"] = (
        spec.get("to")
        or ("me@inbox.example", "Alex Moreau <alex.moreau@inbox.example>", "sam.k@inbox.example")[
            spec.h("to") % 3
        ]
    )
    msg["Subject"] = spec.get("subject")
    msg["Date"] = spec.get("date")
    msg["Message-ID"] = f"<{_tok(spec.name, 'mid', size=28)}@{spec.host}>"
    msg["MIME-Version"] = "1.0"
    if spec.get("reply_to"):
        msg["Reply-To"] = spec.get("reply_to")
    if spec.esp:
        n, d = str(spec.h("n") % 9_000_000 + 1_000_000), str(spec.h("d") % 9 + 1)
        msg["Return-Path"] = (
            "<" + ESP_RETURN[spec.esp].format(n=n, d=d, host=spec.site, tok3=_tok(spec.name, size=12)) + ">"
        )
        msg["List-Unsubscribe"] = f"<https://www.{spec.site}/u/{_tok(spec.name, 'lu', size=30)}>"
        msg["X-Campaign-Id"] = _tok(spec.name, "campaign", size=16)
    charset = spec.get("charset", "utf-8")
    cte_name = (
        spec.get("cte") or ("quoted-printable", "base64", "quoted-printable", "8bit")[spec.h("cte") % 4]
    )
    cte = {"qp": "quoted-printable", "b64": "base64"}.get(cte_name, cte_name)
    if charset != "utf-8" and cte == "8bit":
        cte = "quoted-printable"
    fmt = spec.get("format", "alt")
    _, text_footer = _footer(spec)
    if spec.get("textpart") == "stub":
        text = (
            f"{FOOTERS[spec.lang][0]}: https://view.{spec.site}/?m={_tok(spec.name, 'view', size=20)}"
            f"\n\n{text_footer}"
        )
    else:
        text = f"{render_text(spec)}\n\n{text_footer}\n"
    html_body = render_html(spec).encode(charset, "xmlcharrefreplace").decode(charset)
    for part in (text, html_body):
        try:
            part.encode(charset)
        except UnicodeEncodeError as exc:
            raise SystemExit(f"{name}: {charset} cannot encode {part[exc.start : exc.end]!r}") from None
    if fmt == "text":
        msg.set_content(text, charset=charset, cte=cte)
    elif fmt == "html":
        msg.set_content(html_body, subtype="html", charset=charset, cte=cte)
    else:
        msg.set_content(text, charset=charset, cte=cte)
        msg.add_alternative(html_body, subtype="html", charset=charset, cte=cte)
        styles = ("----=_Part_{t}", "b1_{t}", "_----------=_{t}", "==============={t}==")
        msg.set_boundary(styles[spec.h("boundary") % 4].format(t=_tok(spec.name, "boundary", size=24)))
    return bytes(msg)


def label(spec: Spec, holdout: bool) -> dict[str, object]:
    codes = [c.strip() for c in spec.get("codes").split(",") if c.strip()]
    entry: dict[str, object] = {
        "file": f"{spec.name}.eml",
        "codes": codes,
        "category": spec.get("category"),
        "lang": spec.lang,
        "split": "holdout" if holdout else "dev",
        "notes": spec.get("notes"),
    }
    alt = [c.strip() for c in spec.get("alt_codes").split(",") if c.strip()]
    if alt or spec.get("ambiguous"):
        entry["ambiguous"] = True
        entry["alt_codes"] = alt
    details = {}
    for key in _DETAIL_KEYS:
        if f"expect.{key}" in spec.fields:
            value = spec.fields[f"expect.{key}"]
            details[key] = None if value in ("", "none", "null") else value
    if details:
        entry["details"] = details
    return entry


def _holdout(specs: list[Spec]) -> set[str]:
    """Messages with an explicit ``split:`` keep it (so adding mail never moves old mail
    between splits); the rest are split by hash, HOLDOUT_SHARE percent to holdout."""
    chosen: set[str] = set()
    for spec in specs:
        split = spec.get("split")
        if split == "holdout" or (not split and spec.h("split") % 100 < HOLDOUT_SHARE):
            chosen.add(spec.name)
    return chosen


def main() -> int:
    specs = parse_sources()
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("**/*.eml"):
        old.unlink()
    holdout = _holdout(specs)
    labels = []
    for spec in specs:
        target = OUT / f"{spec.name}.eml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(build(spec))
        labels.append(label(spec, spec.name in holdout))
    with (OUT / "labels.jsonl").open("w", encoding="utf-8") as handle:
        for entry in labels:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    print(f"wrote {len(labels)} messages to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
