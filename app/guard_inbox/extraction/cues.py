"""The words the text rules listen for, in English, Spanish, French, German, Italian,
Portuguese, Polish and Dutch, with the code words of the Nordic languages, Finnish, Czech,
Romanian and Turkish.

Kept apart from rules.py so the vocabulary can grow without touching the logic: a code is
named by a *code word* ("code", "cupón", "Gutschein", "kodem"), made a discount code by a
*qualifier* ("promo", "de descuento", "rabatowy"), made something else by a *negative*
qualifier ("verification", "de recogida", "odbioru"), and pointed at by a *lead* word
("use", "con el", "mit dem", "użyj").  Everything is matched case-insensitively.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Code points that also match these letters case-insensitively (the regex engine's own table).
_ALSO_MATCHING = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


def led_by(letters: str, pattern: str, others: str = "", *, at_word: bool = False) -> re.Pattern[str]:
    """``pattern``, case-insensitive, behind a case-sensitive check that the text has, where a
    match would start, one of the ``letters`` (lower case; any case matches) or ``others`` (a
    character-class fragment, matched as written: r"\\d$"); with ``at_word``, for a pattern
    whose every match starts with ``\\b``, at the start of a word.

    A case-insensitive search lower-cases and compares the text at every position; an exact
    one-character check lets the engine pass over most positions (2-4x faster on real mail).
    Every case variant of ``letters`` is spelt out, so the result matches exactly what
    ``pattern`` does; test_extraction_cues checks that the letters cover every way a match can
    start, that an ``at_word`` pattern starts with ``\\b`` and that the variants are every
    code point the engine would match.
    """
    boundary = r"\b" if at_word else ""
    return re.compile(f"(?={boundary}(?-i:[{case_variants(letters)}{others}]))(?:{pattern})", re.IGNORECASE)


def case_variants(letters: str) -> str:
    """Every character that matches one of the lower-case ``letters`` case-insensitively."""
    return "".join(sorted({v for ch in letters for v in (ch, ch.upper(), *_ALSO_MATCHING.get(ch, ""))}))


# -- code words ----------------------------------------------------------------------------------

# Literal stems searched for first (cheap), then expanded to the whole word around them.
STEM = led_by("ckvg", r"c[oó]d|k[oó]d|kood|coup|cup[oóaã]|vouch|gutsch|kupon")
# A whole word that names a code; ``prefix`` is the front of a compound ("Gutschein|code").
CODE_WORD = re.compile(
    r"(?P<prefix>[^\W\d_]{0,20}?)(?P<stem>codes?|c[oó]dig[oa]s?|codice|codici|kod(?:u|em|y|ów)?"
    r"|kod(?:en|e|er|erne|ar|arna)|k[oó]d(?:u|em|y)?|koodi(?:a|n|t)?|codul|coduri(?:le)?"
    r"|coupons?|cup[oó]n(?:es)?|cupom|cupons|cup[aã]o|cup[oõ]es|vouchers?|gutscheine?|kupon(?:u|em|y|ów)?)",
    re.IGNORECASE,
)
# Code words that are discount words by themselves ("coupon: X", "Gutschein X").
STRONG_STEMS = _words(
    "coupon coupons cupón cupon cupones cupom cupons cupão cupao cupões cupoes voucher vouchers "
    "gutschein gutscheine kupon kuponu kuponem kupony kuponów"
)
POSITIVE_PREFIXES = _words(
    "promo promotion promotions gutschein rabatt aktions vorteils kortings actie rabat alennus "
    "rabatt rabat kampanje kampanj tarjous alennus indirim "
    "discount coupon voucher angebots spar"
)
NEGATIVE_PREFIXES = _words(
    "bestätigungs bestaetigungs abhol sicherheits einmal anmelde login verifizierungs zugangs "
    "freischalt bar post zip qr dress source area tracking sendungs pin sms auth bestell buchungs "
    "geschenk geschenkgutschein empfehlungs einladungs en de un uni pass passwort verifikations "
    "bevestigings verificatie aktivierungs aktivierings tan sende kunden referral verification "
    "bekräftelse engangs verifierings bekreftelses sikkerheds engångs vahvistus tunnistus "
    "kertakäyttö aktivointi doğrulama onay"
)

# -- qualifiers ----------------------------------------------------------------------------------

# Right before the code word: "promo code", "discount code", "Black Friday code".
POSITIVE_BEFORE = led_by(
    "bcdefhikmoprsvw",
    r"\b(?:promo(?:tion(?:al)?)?|coupon|discount|voucher|offer|sale|savings?|rebate|deal|reward|"
    r"bonus|black\s+friday|cyber\s+monday|holiday|flash|vip|member|members'?|welcome|birthday|"
    r"exclusive|special|secret|exclusivo|promo|exclusif|spécial|exklusive[rn]?|esclusivo|"
    r"exclusivo|specjalny|slevov[ýy]|slevov[ée]ho|sleva|indirim|kampanya)[\s-]*$",
)
# Right after a Romance or Polish code word: "código de descuento", "code promo", "kod rabatowy".
POSITIVE_AFTER = re.compile(
    r"[ \t]+(?:(?:de|di|do|da|del)[ \t]+)?(?:descuento|promocional|promo(?:cional|zionale)?|"
    r"desconto|sconto|r[ée]duction|remise|avantage|privil[èe]ge|rabatowy|rabatowego|rabatowym|"
    r"promocyjny|promocyjnego|promocyjnym|zni[żz]kowy|zni[żz]kowego|zni[żz]kowym|rabatu|"
    r"bienvenida|bienvenue|benvenuto|boas[\s-]vindas|powitalny|r[ée]duc|oferta|ofert[ay]|"
    r"exclusivo|exclusif|esclusivo|reducere|promo[țt]ional|discount)\b",
    re.IGNORECASE,
)
# Words before a code word that make it some other kind of code.
NEGATIVE_BEFORE = led_by(
    "abcdefghijklmnopqrstvwz",
    r"\b(?:access|activation|activate|area|auth|authori[sz]ation|authentication|backup|bank|bar|"
    r"booking|claim|collection|colou?r|confirmation|confirm|country|css|(?<!free\s)delivery|dialling|"
    r"dialing|door|dress|embed|entry|error|example|exit|gate|gift|guest|hs|html|"
    r"item|keybox|locker|log[\s-]?in|login|order|otp|pairing|pickup|pick[\s-]?up|"
    r"pin|post|postal|product|puk|qr|recovery|reference|referral|refer|reservation|response|"
    r"return|sample|security|share|sharing|sign[\s-]?in|signin|sign[\s-]?up|sms|sort|"
    r"status|style|swift|tracking|track|transaction|verification|verify|zip|one[\s-]?time|"
    r"two[\s-]?factor|2fa|mfa|device|tv|wallet|redemption|ticket|entrance|registration|"
    r"course|class|join|session|seat|airport|flight|discount\s+card|member(?:ship)?\s+card|"
    r"personal\s+referral|friend'?s?|invite\s+friends|rsvp|picture|test|"
    r"cadeau|regalo|presente|prezent|podarunkow\w*|geschenk\w*|wi-?fi|network|router|room|parking|"
    r"alarm|garage|gym|exam|candidate|support|blik|tan|voting|bank\s+transfer|list|mailing\s+list|"
    r"type|survey|campaign|voyage|sailing|cruise|sku|model|part|catalog(?:ue)?|style|tax|revenue|"
    r"billing|dress|area|station|airline|fare|class|article|event|venue|ov[ěe][řr]ovac[íi]|"
    r"potvrzovac[íi]|aktiva[čc]n[íi]|jednor[áa]zov[ýy]|p[řr]ihla[šs]ovac[íi]|do[ğg]rulama|onay|"
    r"g[üu]venlik)"
    r"(?:[\s-]+(?:the|this|your|my|a|an|\d+-digit|\d+|new))*[\s-]*$",
    r"2",
    at_word=True,
)
# Kinds of code that are a discount when the mail offers one and something else when it does
# not: an invitation ("your invitation code VIP20 takes 20% off" / "... to join the beta"), a
# catalogue's key or source code ("use key code W2FALL to save $10" / the lockbox key code).
AMBIGUOUS_PREFIXES = _words("einladungs invite invitation")
AMBIGUOUS_BEFORE = re.compile(
    r"\b(?:invitation|invite|invitaci[oó]n|einladungs?|zaproszeni[ae]|convite|key|source)[\s-]*$",
    re.IGNORECASE,
)
AMBIGUOUS_AFTER = re.compile(
    r"[ \t]+(?:(?:de|di|do|da|d')[ \t]*)?(?:invitaci[oó]n|invitation|invito|convite|zaproszenia)\b",
    re.IGNORECASE,
)
NEGATIVE_AFTER = re.compile(
    r"[ \t]+(?:(?:de|di|do|da|del|della|dello)[ \t]+)?(?:l[ae][ \t]+|la[ \t]+)?"
    r"(?:verificaci[oó]n|verifica(?:[çc][ãa]o|zione)?|v[ée]rification|seguridad|seguran[çc]a|"
    r"sicurezza|s[ée]curit[ée]|odbioru|recogida|ritiro|retrait|retirada|seguimiento|rastreio|"
    r"rastreamento|suivi|tracciamento|[śs]ledzenia|connexion|acceso|accesso|acesso|acc[èe]s|"
    r"dost[ęe]pu|confirmaci[oó]n|confirma[çc][ãa]o|conferma|confirmation|potwierdzenia|"
    r"weryfikacyjny|weryfikacyjnego|bezpiecze[ńn]stwa|postal|postale|pocztowy|qr|pin|pedido|"
    r"commande|ordine|zam[óo]wienia|reserva|r[ée]servation|prenotazione|rezerwacji|"
    r"cart[ãa]o|tarjeta|carte|carta|karty|regalo|cadeau|presente|d'acc[èe]s|d'activation|"
    r"activaci[oó]n|ativa[çc][ãa]o|attivazione|aktywacyjny|autoryzacyjny|sms|otp|de\s+un\s+solo\s+uso|"
    r"usa\s+e\s+getta|jednorazowy|rastreo|envío|envoi|spedizione|envio|przesy[łl]ki|parrainage|"
    r"referido|indica[çc][ãa]o|polecaj[ąa]cy|polecenia|verificare|confirmare|autentificare|"
    r"securitate)\b",
    re.IGNORECASE,
)

# -- leads ---------------------------------------------------------------------------------------

# Words in front of a code word (articles skipped) that point at a code to type.
LEAD_BEFORE = led_by(
    "abcdefgijklmnopqrstuvwyz",
    r"\b(?:use|using|with|enter|entering|apply|applying|redeem|type|add|quote|mention|copy|paste|"
    r"input|your|exclusive|special|personal|unique|vip|welcome|birthday|bonus|this|our|my|"
    r"usa|use|usar|utiliza|utilice|utilizar|introduce|introduzca|ingresa|aplica|con|tu|su|"
    r"avec|utilisez|utilise|saisissez|saisis|entrez|entre|indiquez|renseignez|votre|ton|"
    r"mit|nutze|nutzen|verwende|verwenden|gib|geben|l[öo]se|l[öo]sen|dein|deinem|deinen|ihr|"
    r"ihrem|ihren|inserisci|utilizza|digita|il\s+tuo|tuo|insira|digite|utilize|aplique|com|"
    r"seu|o\s+seu|z|u[żz]yj|wpisz|wpisa[ćc]|podaj|wykorzystaj|tw[óo]j|twoim|twojego|"
    r"gebruik|voer|jouw|uw|anv[äa]nd|ange|din|ditt|brug|bruk|indtast|skriv|k[äa]yt[äa]|"
    r"sy[öo]t[äa]|pou[žz]ijte|pou[žz]ij|zadejte|v[áa][šs]|folose[șs]te|folosi[țt]i|introdu|"
    r"kullan[ıi]n|kullan)"
    r"(?:\s+(?:the|a|an|el|la|le|les|il|lo|o|a|der|die|das|dem|den|this|ce|cet|este|esta|"
    r"questo|este|ten|tego|diesen|diesem))?\s*$",
    at_word=True,
)
# Words between a code word and its token that are not the token ("code is", "code below").
FILLER = re.compile(
    r"(?:[^\S\n]*(?::|=|->|=>|\*{1,3}|[\u2020\u00b9\u00b2]|[-\u2013\u2014\u2192\u279c>\u00bb]|\bis\b|\bes\b|\best\b|\bist\b|"
    r"\blautet\b|\bè\b|\bé\b|\bbrzmi\b|\bto\b|\bhere\b|\bnow\b|\bjust\b|\bsimply\b|"
    r"\beingeben\b|\beinl[öo]sen\b|\bverwenden\b|\bnutzen\b|\bangeben\b|\bsein\b|"
    r"\bat\s+checkout\b|\bal\s+pagar\b|\bim\s+warenkorb\b)[^\S\n]*)*",
    re.IGNORECASE,
)
# "Coupon number 883921", "e-coupon no. 4471-ABCD": after a coupon word only (a voucher or
# card "number" is a gift voucher's or a card's).
NUMBER_AFTER = re.compile(
    r"[^\S\n]*(?:numbers?\b|no\.|nr\.?|#|num[ée]ro\b|n[úu]mero\b|nummer\b|numer\b)", re.IGNORECASE
)
# "Promo: CABIN15" -- a label that names no code but introduces one.
PROMO_LABEL = led_by("p", r"\bpromo[^\S\n]*[:\u00bb\u2013\u2014-][^\S\n]*(?P<raw>\S{2,40})")
# "code below" and friends: the token is on a line of its own after the rest of this line.
BELOW = re.compile(
    r"[^\n]{0,60}?\b(?:below|underneath|ci-dessous|unten|abajo|a\s+continuaci[oó]n|"
    r"qui\s+sotto|abaixo|poni[żz]ej|following)\b[^\n]{0,100}\n",
    re.IGNORECASE,
)
# A label line that ends in a colon: "Ecco il tuo coupon di benvenuto per il primo ordine:".
LABEL_LINE = re.compile(r"[^\n:]{0,80}:[^\S\n]*\n", re.IGNORECASE)
ALONE = re.compile(r"\s*(?P<raw>\S{2,40})[^\S\n]*(?:\n|$)")

# -- bare tokens ---------------------------------------------------------------------------------

# A code shown with no code word: "Use SAVE20 for 20% off", "$50 off EMBER50".
CAPS_TOKEN = re.compile(r"(?<![\w@/.#&=?%+-])[A-Z0-9][A-Z0-9_-]{2,18}[A-Z0-9](?![\w@/]|\.\w)")
# Also lower and mixed case when the token has letters and digits: save20, Fall26, 20offnow.
CODE_TOKEN = re.compile(
    r"(?<![\w@/.#&=?%+{|-])(?:[A-Z0-9][A-Z0-9_-]{2,18}[A-Z0-9]|"
    r"(?=[A-Za-z_-]*\d)(?=[\d_-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_-]{2,18}[A-Za-z0-9])(?![\w@/}|]|\.\w)"
)
BARE_VERB = re.compile(
    r"(?:^|\s)(?:use|using|enter|apply|redeem|type|paste|add|with|usa|utiliza|introduce|aplica|"
    r"con|avec|utilisez|saisissez|entrez|mit|nutze|gib|inserisci|utilizza|insira|digite|com|"
    r"u[żz]yj|wpisz|z|mention|quote|menciona|mencione|indica|indique|indiquez|mentionnez|"
    r"nenne|nennen|nennt|indicare|cita|informe|informa|podaj|gebruik|vermeld|noem)\s+"
    r"(?:the\s+(?:word|phrase)\s+|la\s+palabra\s+|le\s+mot\s+|das\s+wort\s+)?[\"'\u201c\u2018\u00ab]?$",
    re.IGNORECASE,
)
OFF_BEFORE = re.compile(
    r"(?:\d\s?%|[$£€]\s?\d[\d.,]*|\d[\d.,]*\s?(?:€|zł|kr))\s+(?:off|rabatu|de\s+descuento|de\s+r[ée]duction)"
    r"[\s:|\u2013\u2014-]*$",
    re.IGNORECASE,
)
CHECKOUT_AFTER = re.compile(
    r"[\"'\u201d\u2019\u00bb]?\s+(?:(?:to\s+use|when\s+you\s+(?:check\s*out|order|pay)|and\s+(?:get|save|take))\b|"
    r"(?:at|during|in|on)\s+(?:the\s+)?(?:checkout|check-out|check\s+out|cart|basket|bag)\b|"
    r"in\s+the\s+(?:promo|discount|coupon|voucher|code)\s+(?:box|field|code\s+box)|"
    r"(?:for|to\s+(?:get|save|take))\s+(?:an?\s+)?(?:extra\s+)?(?:up\s+to\s+)?(?:\d|[$£€]\d)|"
    r"al\s+(?:pagar|finalizar)|lors\s+du\s+paiement|au\s+moment\s+du|im\s+warenkorb|an\s+der\s+kasse|"
    r"beim\s+(?:bezahlen|checkout)|al\s+(?:momento|checkout)|no\s+carrinho|na\s+finaliza|"
    r"przy\s+p[łl]atno|w\s+koszyku|when\s+you\s+(?:book|call|shop|visit)|"
    r"(?:al|cuando)\s+(?:pedir|reservar|comprar|hacer\s+tu\s+pedido)|lors\s+de\s+(?:votre|ta)\s+"
    r"(?:commande|r[ée]servation|visite)|en\s+caisse|bei\s+(?:der|deiner|ihrer)\s+"
    r"(?:bestellung|buchung)|(?:al|nel)\s+(?:momento\s+dell'ordine|checkout|carrello)|"
    r"ao\s+(?:finalizar|fazer\s+o\s+pedido|comprar)|przy\s+(?:zam[óo]wieniu|zakupie)|"
    r"bij\s+het\s+afrekenen|in\s+je\s+winkelmand)",
    re.IGNORECASE,
)

# -- context -------------------------------------------------------------------------------------

# Something that says "money off" near a cue, in any of the languages.
PROMO_SIGNAL = re.compile(
    r"\d\s?%|%\s?\d|[$£€]\s?\d+\s*(?:off|\+)|\bfor\s+(?:just\s+|only\s+)?[$£€]\s?\d|\d\s?(?:€|zł|z[łl]otych)\s+(?:off|de|di|taniej|mniej|rabatu)|"
    r"\b(?:off|checkout|save|saving|savings|discount|discounted|promo|promotion|coupon|voucher|sale|"
    r"deal|deals|offer|free\s+(?:shipping|delivery|gift|side|month|trial)|free|bogo|"
    r"descuento|rebajas|oferta|ahorra|gratis|env[ií]o\s+gratis|r[ée]duction|remise|soldes|offert[e]?|"
    r"promotion|[ée]conomisez|rabatt|sparen|spare|sparst|aktion|gratis|sconto|saldi|offerta|"
    r"risparmia|gratuit[ao]|desconto|promo[çc][ãa]o|gr[áa]tis|frete|poupe|economize|rabat\w*|"
    r"zni[żz]k\w*|promocj\w*|taniej|mniej|darmow\w*|wyprzeda[żz]\w*|oszcz[ęe]d\w*)\b",
    re.IGNORECASE,
)
# A discount stated in the same clause: for cutting a negative word off from the cue.
DISCOUNT_PHRASE = led_by(
    "dors",
    r"\d\s?%|[$£€]\s?\d+\s+off|\b(?:save|saving|off|descuento|rabatt|sconto|desconto|rabatu|"
    r"r[ée]duction)\b",
    r"\d$£€",
)
# Words shortly before a cue that show the "code" belongs to an order, a parcel or a login.
NEG_CONTEXT_BEFORE = led_by(
    "abceghiklmnoprstvyz",
    r"\b(?:order|booking|reservation|reference|ref|tracking|shipment|parcel|package|invoice|"
    r"receipt|account|member(?:ship)?|customer|serial|case|ticket|transaction|confirmation|"
    r"registration|student|rx|prescription)\s*(?:number|no\b\.?|num\b|#|id\b|code)|"
    r"\b(?:tracking|verification|verify|one[\s-]?time(?!\s+use)|otp|passcode|password|passwort|"
    r"pick[\s-]?up|locker|gift[\s-]?cards?|e-?gift|gift\s+certificates?|post\s?code|zip\s?code|"
    r"postal|authentication|2fa|two[\s-]factor|mfa|activation|activate|sign[\s-]?in|log[\s-]?in|"
    r"ready\s+for\s+collection|click\s*(?:&|and)\s*collect|referral|refer\s+a\s+friend|"
    r"(?:on|into)\s+(?:your|the)\s+(?:smart\s+)?(?:tv|device|console|television)|pair(?:ing)?|"
    r"invite\s+friends|share\s+(?:your|this|it)|your\s+friends?\s+get|"
    r"n[úu]mero\s+de\s+pedido|num[ée]ro\s+de\s+commande|bestellnummer|numero\s+d'ordine|"
    r"n[úu]mero\s+do\s+pedido|numer\s+zam[óo]wienia|contrase[ñn]a|mot\s+de\s+passe|"
    r"kennwort|has[łl]o|senha|taquilla|paczkomat|packstation|automat\w*|locker|casillero|"
    r"carte\s+cadeau|tarjeta\s+regalo|carta\s+regalo|cart[ãa]o[\s-]presente|geschenkkarte|"
    r"karta\s+podarunkowa|parrainage|indique\s+amigos|invita\s+(?:un|i)\s+amic)\b",
    r"2",
    at_word=True,
)
# A label of another kind of number that starts the token's line or sentence: "Survey reference
# X", "Order: X", "Ticket no. X" (not "use it on your next order: X").
OTHER_LABEL_BEFORE = re.compile(
    r"(?:^|[.!?|]\s+)(?:[^\W\d_]+\s+){0,2}(?:survey|reference|ref|case|ticket|claim|member(?:ship)?|"
    r"customer|account|passenger|patient|policy|invoice|order|booking|tracking|serial|model|sku|"
    r"part|product|item|style|article|voyage|list|campaign)[\s-]*(?:id|no\.?|nr\.?|number|#)?[\s:#]*$",
    re.IGNORECASE,
)
# Words just after the token that show it is for a driver, a locker or a login.
NEG_CONTEXT_AFTER = led_by(
    "acdefgiklmnoprstvwz",
    r"\b(?:locker|pick[\s-]?up|collect|driver|courier|verify|verification|sign[\s-]?in|log[\s-]?in|"
    r"password|passcode|2fa|do\s+not\s+share|don'?t\s+share|never\s+share|"
    r"one[\s-]?time\s+(?:password|passcode|code|pin)|approve|authori[sz]e|"
    r"(?:on|into)\s+(?:your|the)\s+(?:tv|device|screen|console|television|app\s+to\s+(?:sign|log))|"
    r"to\s+(?:activate|confirm|complete|continue|reset|link|pair|access|unlock\s+your|approve)|"
    r"keypad|cubby|reception|front\s+desk|check[\s-]?in\b|"
    r"para\s+confirmar|pour\s+confirmer|zur\s+best[äa]tigung|per\s+confermare|aby\s+potwierdzi[ćc]|"
    r"no\s+lo\s+compartas|ne\s+le\s+partagez|mit\s+niemandem|non\s+condividerlo|"
    r"n[ãa]o\s+compartilhe|nie\s+udost[ęe]pniaj)\b|"
    r"\b(?:expires?|valid|caduca|expire|g[üu]ltig|scade|v[áa]lido|wa[żz]ny)\s+(?:in|for|en|dans|"
    r"tra|por|przez)?\s*\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|minutos|minutes|minuten|"
    r"minuti|minut|sekund)\b",
    r"2",
    at_word=True,
)
# Subjects of mail about an order, a parcel or a login rather than a sale.
TRANSACTIONAL_SUBJECT = led_by(
    "abcdeghiklnoprstvwyz",
    r"\b(?:verification|verify|one[\s-]?time|otp|passcode|password|sign[\s-]?in|log[\s-]?in|"
    r"security\s+code|pick[\s-]?up|ready\s+for\s+collection|(?:was|been|is)\s+delivered|^delivered\b|"
    r"out\s+for\s+delivery|(?:has|have|been)\s+(?:shipped|dispatched)|^(?:shipped|dispatched)\b|tracking|arriving|order\s+(?:confirmation|confirmed|#|number|no)|"
    r"your\s+(?:delivery|order|receipt|tickets?|reservation|booking|statement|bill|invoice)|"
    r"delivery\s+(?:update|attempt|exception|notification|scheduled)|receipt|invoice|statement|"
    r"confirm(?:ed|ation)?|activate|approve|new\s+device|transaction\s+alert|gift\s+card|"
    r"e-?gift|wallet\s+code|c[óo]digo\s+de\s+verifica|code\s+de\s+connexion|best[äa]tigungscode|"
    r"codice\s+di\s+verifica|kod\s+weryfikacyjny|"
    r"expedi|spedito|enviado|paczk|paquete|colis|paket|pacco|recibido|"
    r"(?:pedido|commande|bestellung|ordine|zam[óo]wieni\w*|encomenda)\s+(?:n\.?\s?[º°o]?|nr\.?|#|\d)|"
    r"carte\s+cadeau|cart[ãa]o[\s-]presente)\b",
    at_word=True,
)
# The sender says there is nothing to type: a link that auto-applies a discount is then not a
# code the shopper needs to keep.
NO_CODE_NEEDED = led_by(
    "npcwsob",
    r"\bno\s+(?:promo\s+|discount\s+|coupon\s+)?(?:code|coupon)s?\s+(?:is\s+)?(?:needed|required|necessary)|"
    r"\b(?:promo\s+)?code\s+(?:is\s+)?not\s+(?:needed|required|necessary)|\bwithout\s+a\s+(?:promo\s+)?code|"
    r"\bsin\s+(?:c[oó]digo|cup[oó]n)|\bsans\s+code|\bohne\s+(?:gutschein|rabatt)?code|\bsenza\s+codice|"
    r"\bsem\s+(?:c[oó]digo|cupom)|\bbez\s+kodu",
)
