"""Families of labelled test mail written from scratch, one per kind of code (or non-code) the
extractor must generalise to, in eight languages.

Each family is a set of sentence templates and a code-shape generator; ``family_cases`` renders
a fixed number of messages per family with a seeded random generator (same messages on every
machine).  The families are a *source* like any corpus directory: the evidence weights learn
from them, and the benchmark leaves each one out in turn.  ``test_extraction_families.py`` draws
fresh shapes and phrasings from the same templates with hypothesis.  No wording here was
copied from a message the extractor got wrong.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from data.corpus_eval import Case
from guard_inbox.domain.models import MailMessage

UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
# Letters that read as a unit or currency after a number are amounts, not codes.
UNITS = frozenset({
    "CAD", "USD", "EUR", "GBP", "AUD", "CHF", "PLN", "MXN", "BRL", "KWH", "MPH", "GBPS", "MBPS",
    "MAH", "FPS", "KHZ", "MHZ", "GHZ", "MIN", "MINS", "HRS", "LBS",
})
SEASONS = ("SUMMER", "FALL", "SPRING", "WINTER", "XMAS", "BF", "CYBER", "VERANO", "OTONO", "ETE",
           "HIVER", "SOMMER", "ESTATE", "LATO", "ZOMER", "DEVCONF", "SUMMIT", "EXPO", "GALA")
WORD_CODES = ("EXTRA", "BONUS", "VIP", "THANKS", "WELCOME", "HELLO", "FRIENDS", "TREAT", "CHEERS",
              "SUNNY", "HOLA", "MERCI", "DANKE", "GRAZIE", "OBRIGADO", "DZIEKI", "BEDANKT")


def letters(rng: random.Random, low: int = 3, high: int = 7) -> str:
    while True:
        word = "".join(rng.choice(UPPER) for _ in range(rng.randint(low, high)))
        if word not in UNITS:
            return word


def percent(rng: random.Random) -> int:
    return rng.randint(1, 14) * 5


def structured_code(rng: random.Random) -> str:
    """Two or three meaningful parts: SUMMER-2026-20, bf_26, Gala-2027."""
    year = str(rng.randint(2024, 2029)) if rng.random() < 0.5 else str(rng.randint(24, 29))
    parts = [rng.choice(SEASONS), year, str(percent(rng))][: rng.randint(2, 3)]
    code = rng.choice("-_").join(parts)
    return rng.choice([code, code, code.lower(), code.capitalize()])


def mixed_code(rng: random.Random) -> str:
    """Capitals and digits in either order, sometimes lower case: SAVE20, 20OFFNOW, Take15."""
    word, digits = letters(rng), str(percent(rng))
    code = rng.choice([word + digits, digits + word, word[:2] + digits + word[2:]])
    return rng.choice([code, code, code, code.lower(), code.capitalize()])


def word_code(rng: random.Random) -> str:
    return rng.choice(WORD_CODES)


def short_code(rng: random.Random) -> str:
    return rng.choice(["VIP", "GO5", "FUN", "X10", "OK7", "JOY", "B2S", "4ME"])


@dataclass(frozen=True)
class Family:
    """Templates with ``{c}`` (the token), ``{s}`` (the token spaced out letter by letter), ``{p}``
    (a percentage) and ``{n}`` (a number);
    ``positive`` says whether ``{c}`` is a shopper's code there."""

    name: str
    templates: tuple[str, ...]
    token: Callable[[random.Random], str]
    positive: bool
    sender: str = "Shop <news@shop.example>"  # "{c}" is replaced by the token
    subjects: tuple[str, ...] = ("This week's offers", "A little something for you",
                                 "Ofertas de la semana", "Nos offres", "Unsere Angebote",
                                 "Le offerte", "As ofertas", "Oferty tygodnia", "Aanbiedingen")


NAMED_CUES = (
    "Use code {c} for {p}% off your order.",
    "Take {p}% off with promo code {c} at checkout.",
    "Your offer code {c} is good for {p}% off.",
    "Enter coupon code {c} to save {p}%.",
    "Get {p}% off with the code {c}.",
    "Shop now and save {p}% with discount code {c}.",
    "Usa el código promocional {c} y ahorra un {p}%.",
    "Con el cupón {c} tienes un {p}% de descuento.",
    "Profitez de {p}% de réduction avec le code promo {c}.",
    "Saisissez le code {c} pour {p}% de remise.",
    "Mit dem Gutscheincode {c} sparst du {p}%.",
    "Dein Rabattcode: {c} ({p}% auf alles).",
    "Usa il codice sconto {c} per avere il {p}% di sconto.",
    "Inserisci il codice {c} al checkout: {p}% di sconto.",
    "Use o cupom {c} e ganhe {p}% de desconto.",
    "Código de desconto: {c} ({p}% em tudo).",
    "Z kodem rabatowym {c} otrzymasz {p}% rabatu.",
    "Wpisz kod {c} w koszyku i zyskaj {p}% zniżki.",
    "Gebruik de kortingscode {c} voor {p}% korting.",
    "Met kortingscode {c} krijg je {p}% korting op alles.",
    "Använd koden {c} i kassan och få {p} % rabatt.",
    "Brug rabatkoden {c} og spar {p} %.",
    "Käytä alennuskoodia {c} ja saat {p} % alennusta.",
    "Použijte slevový kód {c} a získejte slevu {p} %.",
    "Folosește codul de reducere {c} pentru {p}% reducere.",
    "İndirim kodu {c} ile %{p} indirim kazanın.",
)

FAMILIES: tuple[Family, ...] = (
    Family("structured", NAMED_CUES, structured_code, True),
    Family("mixed-case", NAMED_CUES, mixed_code, True),
    Family("alone-line", (
        "Thanks for being with us.\n\n${p} off anything\n\n{c}\n\nValid {n} days.",
        "Our thank-you: {p}% off your next order\n\n{c}\n\nEnds in {n} days.",
        "{p}% de descuento en tu próximo pedido\n\n{c}\n\nVálido {n} días.",
        "{p}% de réduction sur votre prochaine commande\n\n{c}\n\nValable {n} jours.",
        "{p}% Rabatt auf deine nächste Bestellung\n\n{c}\n\nGültig {n} Tage.",
        "{p}% di sconto sul prossimo ordine\n\n{c}\n\nValido {n} giorni.",
        "{p}% de desconto na próxima compra\n\n{c}\n\nVálido por {n} dias.",
        "{p}% rabatu na kolejne zamówienie\n\n{c}\n\nWażny {n} dni.",
        "${p} off anything \u2014 {c} \u2014 valid {n} days",
        "Your code:\n\n{s}\n\n{p}% off everything this weekend.",
        "{p}% off with code\n\n{s}\n\nShop now",
        "Ton code :\n\n{s}\n\n-{p} % sur tout le site.",
    ), mixed_code, True),
    Family("after-colon", (
        "Hi Sam, here is {p}% off your next box: {c}\nSee you soon.",
        "As promised, {p}% off for you: {c}\nHappy shopping.",
        "Save {p}% on your next order with this: {c}\nThank you!",
        "Hola Ana, aquí tienes un {p}% de descuento: {c}\nHasta pronto.",
        "Bonjour Léa, voici {p}% de réduction : {c}\nÀ bientôt.",
        "Hallo Max, hier sind {p}% Rabatt für dich: {c}\nBis bald.",
    ), mixed_code, True),
    Family("cue-phrasing", (
        "Coupon number {c}: ${p} off your next purchase.",
        "Your e-coupon number is {c}. Show it to save {p}%.",
        "Enter the word {c} in the discount box for {p}% off.",
        "Mention {c} when you order and get {p}% off.",
        "Quote {c} when you book to get {p}% off.",
        "Your invitation code {c} takes {p}% off the member sale.",
        "With the code {c} you save {p}% this weekend.",
        "Menciona {c} al pedir y obtén un {p}% de descuento.",
        "Indiquez {c} lors de votre commande pour {p}% de remise.",
        "Nenne {c} bei der Bestellung und spare {p}%.",
        "Use key code {c} at checkout to save ${p}.",
        "Please reference source code {c} when you call to receive {p}% off.",
    ), mixed_code, True),
    Family("word-codes", (
        "Extra {p}% Off Sale | Use Code {c}",
        "Use code {c} for {p}% off.",
        "Promo code {c}: {p}% off everything.",
        "Enter code {c} at checkout for {p}% off.",
        "Código promocional {c}: {p}% de descuento.",
        "Gutscheincode {c}: {p}% Rabatt auf alles.",
        "Code promo {c} : {p}% sur tout le site.",
    ), word_code, True),
    Family("short-codes", (
        "Promo code {c}: {p}% off all week.",
        "Enter coupon code {c} at checkout for {p}% off.",
        "Kod rabatowy {c}: {p}% taniej.",
    ), short_code, True),
    Family("ordinary-words", (
        "We're so {c} you joined. Enjoy {p}% off this week, no code needed.",
        "Happy {c} from all of us! Our sale is {p}% off.",
        "THE {c} SALE: UP TO {p}% OFF EVERYTHING",
        "Shop the {c} edit and save {p}%.",
    ), lambda rng: rng.choice(["thrilled", "Holiday", "SUMMER", "Weekend", "MEGA", "Friday"]), False),
    Family("other-kinds", (
        "To stop these mails, reply with {c} in the subject line. {p}% off everything inside.",
        "Enter your zip code {c} to find a store near you. {p}% off in store.",
        "Your confirmation code is {c}. Next time, save {p}% on your order.",
        "Your order\n\n{c}\n\nTotal paid: ${p}.00",
        "Survey reference {c}: tell us how we did and get {p}% off next time.",
        "List code: {c}. You are subscribed to Deals Weekly ({p}% off inside).",
        "Excluded voyage codes: {c}. Save {p}% on all other sailings.",
        "Product code {c} is excluded from the {p}% off sale.",
        "Your verification code is {c}. It expires in {n} minutes.",
        "Tu código de verificación es {c}. Caduca en {n} minutos.",
        "Votre code de confirmation : {c}.",
        "Ihr Abholcode lautet {c}. Ihr Paket liegt bereit.",
        "Il tuo codice di ritiro è {c}.",
        "Seu código de rastreio é {c}.",
        "Twój kod odbioru: {c}. Paczka czeka w paczkomacie.",
        "Uw bestelnummer is {c}.",
        "Din verifieringskod är {c}.",
        "Váš ověřovací kód je {c}.",
        "Codul de verificare este {c}.",
        "Doğrulama kodunuz: {c}",
        "Your invitation code {c} lets you join the beta community.",
        "The key code {c} opens the lockbox by the door.",
    ), mixed_code, False),
    Family("tax-and-legal", (
        "Gifts are deductible under section 501(c)(3) of the Internal Revenue Code. {p}% goes to {c}.",
        "USE CODE BELOW AT CHECKOUT FOR {p}% OFF\n\nShop {c} now",
        "Enjoy extra savings this weekend: {p}% off sitewide with {c}, no code needed.",
    ), lambda rng: rng.choice(["charity", "Outlet", "OURAPP", "NEWARRIVALS"]), False),
)

FAMILIES += (
    Family("brand-signature", (
        "{p}% off everything this weekend.\n\n{c}\n\nQuestions? Reply to this email.",
        "Thanks for shopping with {c}! Save {p}% on your next visit, in store only.",
        "{c} \u2014 {p}% off summer favourites \u2014 shop now",
        "Follow {c} for more deals like this {p}% off sale.",
    ), lambda rng: rng.choice(["Shop24", "Deals4U", "Box365", "Mode21", "Kaffee2Go", "Store77"]),
        False, sender="{c} <news@{c}.example>"),
)

PER_FAMILY = 40


def render(family: Family, template: str, rng: random.Random, *, html: bool, index: int = 0
           ) -> tuple[MailMessage, str]:
    """One message of ``family`` from ``template``, plain text or an HTML layout, and its token."""
    token = family.token(rng)
    body = template.format(c=token, s=" ".join(token), p=percent(rng), n=rng.randint(3, 60))
    message = MailMessage(
        provider_id=f"{family.name}/{index}", subject=rng.choice(family.subjects),
        sender=family.sender.replace("{c}", token),
        text="" if html else body,
        html=_as_html(body) if html else "",
    )
    return message, token


def family_cases(per_family: int = PER_FAMILY, seed: int = 2026) -> list[Case]:
    """``per_family`` labelled messages from each family, the same on every run."""
    rng = random.Random(seed)
    cases: list[Case] = []
    for family in FAMILIES:
        for index in range(per_family):
            template = family.templates[index % len(family.templates)]
            message, token = render(family, template, rng, html=rng.random() < 0.4, index=index)
            label = {"file": f"{family.name}/{index}", "codes": [token] if family.positive else [],
                     "family": family.name}
            cases.append(Case("family", label, message))
    return cases


def _as_html(body: str) -> str:
    """The body as a marketing layout: each paragraph a table cell, a lone code in a bold box."""
    cells = []
    for block in body.split("\n\n"):
        if " " not in block.strip() and block.strip():
            cells.append(f'<td style="border:2px dashed #333;padding:8px"><b>{block}</b></td>')
        else:
            cells.append(f"<td><p>{block.replace(chr(10), '<br>')}</p></td>")
    rows = "".join(f"<tr>{cell}</tr>" for cell in cells)
    return f"<html><body><table>{rows}</table></body></html>"
