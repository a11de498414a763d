"""Properties people filter on ("which work without a phone number?"), with negation.

Each property has patterns in Dutch and English (on normalized, accent-free text), a family
(properties of one family combine with OR when joined by "or"/"of", else as the family says),
a test on an entry (True, False, or None when the facts do not say) and a reason that states
the deciding fact in the asker's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .model import Entry
from .text import normalize

Test = Callable[[Entry], "bool | None"]

PLATFORM_NAMES = {
    "android": "Android",
    "ios": "iOS",
    "windows": "Windows",
    "macos": "macOS",
    "linux": "Linux",
    "web": "web",
}

# Words that turn a property around when they stand just before it ("zonder", "don't need").
NEGATIONS = {
    "zonder", "geen", "niet", "nooit", "without", "no", "not", "never", "don't", "dont",
    "doesn't", "doesnt", "didn't", "didnt", "aren't", "isn't", "lack", "lacks", "lacking",
    "missing", "ontbreekt", "ontbreken", "none", "missen", "mist", "ontberen", "zonder",
}
NEGATIONS_AFTER = re.compile(
    r"^\W*(is |zijn |are |is het |)?(niet nodig|niet vereist|not needed|not required|"
    r"optional|optioneel|needed\?? no|hoeft niet|isn'?t (needed|required)|vrij)\b"
)
_CLAUSE_BREAK = {"maar", "but", "en", "and", "of", "or", "dus", "so", "because", "omdat", "die", "that", "which", "welke"}


@dataclass(frozen=True)
class Property:
    id: str
    family: str
    pattern: re.Pattern[str]
    test: Test
    label: dict[str, str]  # {"nl": ..., "en": ...}: what the property is, for replies
    weak: bool = False  # only counts when no other property is asked for
    modifier: bool = False  # only counts together with another property ("recommended ones without ...")
    negated_by_words: tuple[str, ...] = ()  # words inside the match that mean "not"


#: The id prefix of what a card states in its text ("accepts Monero"), read by category_questions.py.
STATED = "stated:"
#: Properties any card can answer, whatever its category (platforms from its downloads, open
#: source from its source link, audits, status); the others ask for messenger facts.
COMMON_FAMILIES = frozenset({"platform", "audits", "status"})
COMMON_PROPERTIES = frozenset({"open_source"})


def applies_to(prop: Property, entry: Entry) -> bool:
    """Whether ``prop`` is a fact ``entry``'s category has (a messenger fact of a VPN is not);
    what a card states in its text (``stated:``, category_questions.py) applies to every card."""
    return (entry.has_messenger_facts or prop.family in COMMON_FAMILIES or prop.id in COMMON_PROPERTIES
            or prop.id.startswith(STATED))


@dataclass(frozen=True)
class PropertyQuery:
    prop: Property
    negated: bool
    start: int  # character offsets of the words that asked for it, in the normalized text
    end: int
    only: bool = False  # "android only": nothing else of the family either

    @property
    def id(self) -> str:
        return self.prop.id

    def matches(self, entry: Entry) -> bool | None:
        if self.only and self.prop.family == "platform":
            return _only_platforms(entry, self.prop)
        value = self.prop.test(entry)
        if value is None:
            return None
        return value != self.negated


def _p(words: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])(?:{words})(?![\w-])")


def _signup(entry: Entry) -> tuple[str, ...] | None:
    return entry.facts.identifiers.signup


def _needs(kind: str) -> Test:
    def test(entry: Entry) -> bool | None:
        signup = _signup(entry)
        return None if signup is None else kind in signup

    return test


def _shares(kind: str) -> Test:
    def test(entry: Entry) -> bool | None:
        shared = entry.facts.identifiers.shared
        return None if shared is None else kind in shared

    return test


def _anonymous(entry: Entry) -> bool | None:
    signup = _signup(entry)
    return None if signup is None else not ({"phone", "email"} & set(signup))


def _any_identifier(entry: Entry) -> bool | None:
    signup = _signup(entry)
    return None if signup is None else len(signup) > 0


def _routing(kinds: set[str]) -> Test:
    def test(entry: Entry) -> bool | None:
        routing = entry.facts.anonymous_routing
        return None if routing is None else bool(kinds & set(routing))

    return test


def _network(kinds: set[str]) -> Test:
    def test(entry: Entry) -> bool | None:
        network = entry.facts.network
        return None if network is None else network in kinds

    return test


def _platform(kinds: set[str]) -> Test:
    def test(entry: Entry) -> bool | None:
        platforms = entry.facts.platforms
        return None if not platforms else bool(kinds & set(platforms))

    test.kinds = frozenset(kinds)  # type: ignore[attr-defined]
    return test


def _only_platforms(entry: Entry, prop: Property) -> bool | None:
    platforms = entry.facts.platforms
    kinds = getattr(prop.test, "kinds", frozenset())
    return None if not platforms else set(platforms) <= kinds


def _forward_secrecy(entry: Entry) -> bool | None:
    fs = entry.facts.forward_secrecy
    return None if fs is None else fs == "yes"


def _audited(entry: Entry) -> bool | None:
    return True if entry.facts.audits else (False if entry.facts.protocol.name or entry.facts.network else None)


def _metadata(kind: str | None) -> Test:
    def test(entry: Entry) -> bool | None:
        if entry.facts.network is None and not entry.facts.metadata:
            return None  # an imported page that says nothing about metadata
        return bool(entry.facts.metadata) if kind is None else kind in entry.facts.metadata

    return test


def _group_limit(entry: Entry) -> bool | None:
    return True if entry.facts.group_limit is not None else None


def _attr(*path: str) -> Test:
    def test(entry: Entry) -> bool | None:
        value: object = entry.facts
        for name in path:
            value = getattr(value, name)
        return value  # type: ignore[return-value]

    return test


_USERNAME_WORDS = r"gebruikersnaam|gebruikersnamen|usernames?|user ?names?|handles?"
_USERNAME = re.compile(rf"(?<![\w-])(?:{_USERNAME_WORDS})(?![\w-])")


def _usernames(entry: Entry) -> bool | None:
    """Works with a username: as the identifier, or added by a later change ("Signal
    introduced usernames", 2024-02) that the identifier facts, which say what sign-up
    needs and contacts see, have no field for."""
    ids = entry.facts.identifiers
    if ids.signup is None and ids.shared is None:
        return None
    if "username" in (ids.signup or ()) + (ids.shared or ()):
        return True
    if any(_USERNAME.search(normalize(u.text.get("en"))) for u in entry.updates):
        return True
    return False


def _any_of(entry: Entry, *tests: Test) -> bool | None:
    values = [t(entry) for t in tests]
    return True if any(values) else (None if any(v is None for v in values) else False)


def _lbl(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


_NUMBER = r"(?:telefoon|gsm|mobiele?|mobile|phone|cell|06)[ -]?(?:nummers?|numbers?)|nummers?|sim[ -]?(?:kaart|card)?|(?:my|your|our|their) numbers?"

# Order matters: earlier (more specific) patterns claim their words first.
PROPERTIES: tuple[Property, ...] = (
    Property("data_transfer", "data",
             _p(r"(?:overzetten|verhuizen|migreren|meenemen|exporteren|importeren|exports?|imports?|exporting|importing|"
                r"transfer\w*|migrat\w*|move|moving|take|bring|meenemen)\W+(?:\w+\W+){0,3}?"
                r"(?:data|gegevens|chats?|berichten|messages|history|geschiedenis|account|contacts|contacten|gesprekken)"
                r"|(?:data|gegevens|chats?|berichten|messages|history|geschiedenis|account|contacten|gesprekken)\W+(?:\w+\W+){0,3}?"
                r"(?:overzetten|verhuizen|meenemen|exporteren|exporten|export|transfer\w*|move|moving|migrat\w*|mee)"
                r"|back-?ups?|(?:naar|to) (?:een |a |my |mijn )?(?:nieuwe?|new|another|ander|andere) (?:telefoon|toestel|apparaat|phone|device)"),
             _attr("data_transfer"), _lbl("gegevens meenemen naar een ander apparaat", "data moves to another device")),
    Property(
        "phone_shared", "identity",
        re.compile(
            rf"(?<![\w-])(?:(?:share|sharing|delen|deel|geven|give|see|sees|zien|ziet|zichtbaar|visible|hide|hides|hidden|"
            rf"verberg\w*|verborgen|privé|private)\W+(?:\w+\W+){{0,3}}?(?:{_NUMBER})"
            rf"|(?:{_NUMBER})\W+(?:\w+\W+){{0,3}}?(?:share|sharing|delen|delen\w*|zien|zichtbaar|visible|hide|hidden|verborgen|verbergen|privé|private))(?![\w-])"
        ),
        _shares("phone"),
        _lbl("contacten zien je telefoonnummer", "contacts see your phone number"),
        negated_by_words=("hide", "hides", "hidden", "verberg", "verbergen", "verbergt", "verborgen", "privé", "private"),
    ),
    Property("phone", "identity", _p(_NUMBER), _needs("phone"),
             _lbl("telefoonnummer nodig om je aan te melden", "phone number needed to sign up")),
    Property("identifier", "identity",
             _p(r"(?:zonder|geen|no|without)\s+(?:(?:enkele|any|persoonlijke|personal|user|gebruikers|account)\s+){0,2}(?:identifiers?|ids?|gegevens|data|info)"
                r"|identifiers?|identificatie\w*|ids?|persoonlijke (?:gegevens|info)|personal (?:data|info|information|identifiers?|details)"),
             _any_identifier, _lbl("gegevens nodig om je aan te melden", "identifier needed to sign up"),
             negated_by_words=("zonder", "geen", "no", "without")),
    Property("anonymous", "identity",
             _p(r"anonie\w*|anonym\w*|anonimiteit|zonder (?:een )?account|without (?:an )?account|no account|"
                r"(?:without|zonder) (?:\w+ ){0,3}(?:knowing|weet|weten) wie (?:ik|je|jij|we) (?:ben|bent|zijn)|(?:without|zonder) (?:\w+ ){0,3}(?:knowing|revealing) who (?:i am|you are|we are)"),
             _anonymous, _lbl("aanmelden zonder telefoonnummer of e-mail", "sign-up without phone number or e-mail")),
    Property("email", "identity", _p(r"e-?mail[ -]?(?:adres|address)(?:sen|es)?"), _needs("email"),
             _lbl("e-mailadres nodig", "e-mail address needed")),
    Property("username", "identity", _p(_USERNAME_WORDS), _usernames,
             _lbl("werkt met een gebruikersnaam", "works with a username")),
    Property("forward_secrecy", "forward_secrecy",
             _p(r"(?:perfect\s+)?forward[ -]?secrecy|pfs|voorwaartse geheimhouding|"
                # what forward secrecy is for: past messages stay safe when a key leaks
                r"(?:oude|eerdere|vorige|old|older|past|earlier|previous) (?:\w+ ){0,2}(?:berichten|gesprekken|chats|messages) (?:\w+ ){0,5}(?:veilig|beschermd|geheim|safe|protected|secret|secure)\w* "
                r"(?:\w+ ){0,5}(?:sleutel|key)s? (?:\w+ ){0,3}(?:uitlekt|lekt|gelekt|leaks?|leaked|stolen|gestolen|compromised|gecompromitteerd|gehackt|hacked)"),
             _forward_secrecy, _lbl("forward secrecy", "forward secrecy")),
    Property("offline", "offline",
             _p(r"(?:zonder|without|geen|no|not|zero|nul)\s+(?:(?:an?|een|het|the|mobiel|mobile|any|enig)\s+)?(?:internet\w*|netwerk|network|verbinding|connection|connectivity|signal|bereik|reception|coverage|wi-?fi|data)"
                r"|offline|mesh[\w-]*|internet ?(?:storing|outage|shutdown|uitval)s?|(?:internet|netwerk|network|connection|verbinding)\s+(?:\w+\s+)?(?:down|weg|wegvalt|uit|uitvalt|plat|eruit ligt|ligt|niet werkt|cut|cut off|goes down|fails|blocked|geblokkeerd|afgesloten|shut down|shutdown|shut off)"
                r"|in de buurt|nearby|dichtbij|close by|lokaal netwerk|local network|noodgeval\w*|emergenc\w*|protest\w*|stroomuitval"
                r"|(?:internet|netwerk|network)\s+(?:\w+\s+)?(?:platleg\w*|plat (?:legt|leggen|gelegd)|platgelegd|uitzet\w*|afsluit\w*|uitgeschakeld)"),
             _attr("offline", "mesh"), _lbl("werkt zonder internet", "works without internet")),
    Property("wifi", "offline", _p(r"wi-?fi|wlan"), _attr("offline", "wifi"),
             _lbl("rechtstreeks via wifi", "directly over Wi-Fi")),
    Property("bluetooth", "offline", _p(r"bluetooth|bt"), _attr("offline", "bluetooth"),
             _lbl("rechtstreeks via bluetooth", "directly over Bluetooth")),
    Property("tor", "routing", _p(r"tor|tor[ -]?(?:netwerk|network)|\.onion|over tor"), _routing({"tor"}),
             _lbl("via het Tor-netwerk", "over the Tor network")),
    Property("onion", "routing", _p(r"onion[ -]?rout\w*|onion|uienrouting|anonie?me? routing|anonymous routing|ip[ -]?(?:adres|address)\w*"),
             _routing({"tor", "onion"}), _lbl("anonieme (onion) routing", "anonymous (onion) routing")),
    Property("p2p", "network",
             _p(r"peer[ -]?(?:to|2)[ -]?peer|p2p|device[ -]to[ -]device|apparaat (?:naar|tot) apparaat|toestel (?:naar|tot) toestel|"
                r"(?:without|zonder|no|geen) (?:any |enige )?servers?(?: in between| ertussen)?|rechtstreeks (?:tussen|tussen de)|directly between"),
             _network({"p2p"}),
             _lbl("peer-to-peer", "peer-to-peer")),
    Property("decentralized", "network",
             _p(r"gedecentraliseerd\w*|decentra\w*|niet centraal|not centrali[sz]ed|(?:geen|zonder|no|without)\s+(?:een\s+|a\s+)?centrale? servers?"),
             _network({"federated", "p2p", "decentralized"}), _lbl("decentraal", "decentralised")),
    Property("federated", "network",
             _p(r"gefedereerd\w*|federat\w*|federatie|self[ -]?host\w*|zelf hosten|eigen server|own server|host (?:my|your|our) own"),
             _network({"federated"}), _lbl("gefedereerd", "federated")),
    Property("centralized", "network",
             _p(r"gecentraliseerd|centrali[sz]ed|centraal|centrale server|central server|"
                r"(?:one|a single|single|1|een|één|1 enkel) (?:\w+ )?(?:company|firm|provider|organi[sz]ation|entity|bedrijf|partij|aanbieder)(?:'?s)? (?:\w+ )?servers?|"
                r"servers? (?:of|from|van) (?:one|a single|single|een|één) (?:\w+ )?(?:company|firm|provider|organi[sz]ation|bedrijf|partij|aanbieder)|"
                r"(?:controlled|owned|run|operated|beheerd|gecontroleerd|gerund|in handen) (?:by|door|van) (?:one|a single|single|1|een|één) (?:\w+ )?(?:company|firm|provider|organi[sz]ation|entity|bedrijf|partij|aanbieder)"),
             _network({"centralized"}), _lbl("centraal", "centralised")),
    Property("all_platforms", "platform",
             _p(r"(?:alle|all|every|elk|elke|ieder) (?:\w+ )?(?:platforms?|platformen|besturingssystemen|operating systems|devices|apparaten)|cross[ -]?platform|overal"),
             lambda e: None if not e.facts.platforms else {"android", "ios", "windows", "macos", "linux"} <= set(e.facts.platforms),
             _lbl("alle platformen (Android, iOS, Windows, macOS, Linux)", "every platform (Android, iOS, Windows, macOS, Linux)")),
    Property("desktop", "platform", _p(r"desktop\w*|computers?|laptops?|pc'?s?"),
             _platform({"windows", "macos", "linux"}), _lbl("desktop-app", "desktop app")),
    Property("mobile", "platform", _p(r"mobiel|mobile|smartphones?|telefoon|phones?(?= app)"),
             _platform({"android", "ios"}), _lbl("app voor je telefoon", "phone app")),
    Property("android", "platform", _p(r"android"), _platform({"android"}),
             _lbl("Android-app", "Android app")),
    Property("ios", "platform", _p(r"ios|iphones?|ipads?|apple"), _platform({"ios"}), _lbl("iOS-app", "iOS app")),
    Property("windows", "platform", _p(r"windows"), _platform({"windows"}), _lbl("Windows-app", "Windows app")),
    Property("macos", "platform", _p(r"mac ?os|macs?|macbooks?|os ?x"), _platform({"macos"}), _lbl("macOS-app", "macOS app")),
    Property("linux", "platform", _p(r"linux|ubuntu|debian|fedora"), _platform({"linux"}), _lbl("Linux-app", "Linux app")),
    Property("web", "platform",
             _p(r"web[ -]?(?:versie|version|app|client|interface)|webversie|webapp|browser[ -]?(?:versie|version|app)|"
                r"(?:in|via|from|vanuit|through)\s+(?:de\s+|een\s+|a\s+|the\s+|je\s+|your\s+|my\s+|mijn\s+)?(?:web ?)?browser|web"),
             _platform({"web"}), _lbl("werkt in de browser", "works in the browser")),
    Property("group_calls", "calls",
             _p(r"groeps?(?:gesprek|oproep|bel|call|videogesprek|videobel)\w*|group\s+(?:video\s+|voice\s+)?calls?|conference calls?|vergader\w*|meetings?"),
             _attr("calls", "group"), _lbl("groepsgesprekken", "group calls")),
    Property("encrypted_calls", "calls",
             _p(r"(?:versleutelde|encrypted|e2ee|beveiligde|secure)\s+(?:video\s*|voice\s*)?(?:oproep|calls?|gesprek|bel)\w*"),
             _attr("calls", "encrypted"), _lbl("versleutelde gesprekken", "encrypted calls")),
    Property("video", "calls", _p(r"video\w*|beeldbel\w*|facetim\w*"), _attr("calls", "video"),
             _lbl("videobellen", "video calls")),
    Property("voice", "calls",
             _p(r"(?:spraak|audio|voice)[ -]?(?:oproep|calls?|bellen|gesprek|chat)\w*|bell?en|calls?|calling|oproep\w*|telefoneren|spraak|voice"),
             _attr("calls", "voice"), _lbl("bellen", "voice calls")),
    Property("audited", "audits",
             _p(r"audit\w*|ge-?audit\w*|gecontroleerd|gecheckt|security reviews?|reviewed|pentest\w*|beveiligingsonderzoek\w*|onderzocht|doorgelicht|"
                r"(?:checked|tested|examined|inspected|getest|bekeken) (?:\w+ ){0,3}(?:security|beveiliging|veiligheid)"),
             _audited, _lbl("onafhankelijk gecontroleerd (audit)", "independently audited")),
    Property("sealed_sender", "metadata",
             _p(r"sealed[ -]?sender|verzegelde afzender|(?:verberg\w*|verstop\w*|hide|hides|hiding|conceal\w*) (?:\w+ ){0,2}(?:afzender|sender)"
                r"|(?:afzender|sender) (?:\w+ ){0,3}(?:verborgen|versleuteld|hidden|encrypted|onzichtbaar)"),
             _metadata("sealed_sender"),
             _lbl("sealed sender", "sealed sender")),
    Property("metadata", "metadata", _p(r"meta-?data|metagegevens|wie met wie|who talks to whom|"
                # what metadata protection is for: who talks to whom stays hidden
                # (the verb and its "niet" are part of it: "laten niet zien met wie ik praat" asks for the protection, as "hide who I talk to" does)
                r"(?:(?:niet|nooit|geen) )?(?:(?:laten|laat|tonen|toont|zien|ziet|weten|weet|verberg\w*|verstop\w*|lekt|lekken) (?:\w+ ){0,2})?"
                r"met wie (?:ik|je|jij|we|wij|u) (?:\w+ )?(?:praat|praten|chat|chatten|app|appen|bel|bellen|contact heb\w*)|"
                r"(?:(?:don'?t|do not|doesn'?t|does not|not|never|no) )?(?:(?:show|shows|reveal\w*|see|sees|know|knows|hide\w*|leak\w*|tell|tells) (?:\w+ ){0,2})?"
                r"(?:who (?:i|you|we) (?:\w+ )?(?:talk|chat|message|text|speak|call) (?:to|with)|who (?:i'?m|you'?re|we'?re) (?:talking|chatting) (?:to|with))"), _metadata(None),
             _lbl("beschermt metadata", "protects metadata")),
    Property("group_limit", "groups",
             _p(r"hoe groot (?:mag|mogen|kan|kunnen) (?:een |de )?groep\w*|how (?:big|large) (?:can |may )?(?:a |the )?groups?|groepsgrootte|groepsleden|leden per groep|members per group|group ?members|group ?size|grote groepen|large groups|big groups|hoeveel (?:leden|deelnemers|mensen)|how many (?:members|people|participants|users)|"
                r"max\w* (?:aantal )?(?:leden|members|deelnemers|participants|people)|ledenlimiet|member limit|group limits?|limiet|limit"),
             _group_limit, _lbl("grens aan groepsgrootte", "group size limit")),
    Property("open_source_server", "open_source",
             _p(r"open[ -]?source\s+servers?|servers?\s+(?:\w+\s+){0,2}open[ -]?source|server[ -]?(?:code|software)"),
             _attr("open_source", "server"), _lbl("open-source server", "open-source server")),
    Property("open_source", "open_source",
             _p(r"open[ -]?source|opensource|broncode|source code|foss|libre|vrije software|free software|"
                # what open source is for: anyone can read the code
                r"(?:check|inspect|read|audit|see|view|look at|bekijk\w*|inzien|inkijken|controleren|lezen) (?:\w+ ){0,2}(?:the |de |its |hun |their |zijn )?code|"
                r"(?:openbare|publieke|public|open|vrije) (?:bron)?code|code (?:is |staat )?(?:public|openbaar|online|open)"),
             _attr("open_source", "client"), _lbl("open source", "open source")),
    Property("censorship", "routing",
             _p(r"censor\w*|censuur|gecensureerd|censuurbestendig\w*|anti-?censuur"),
             lambda e: _any_of(e, _routing({"tor", "onion"}), _network({"p2p"}), _attr("offline", "mesh")),
             _lbl("komt door blokkades heen (Tor, peer-to-peer of zonder internet)",
                  "gets through blocking (Tor, peer-to-peer or no internet)")),
    Property("recommended", "status",
             _p(r"(?:still|nog|currently|momenteel|nu)\s+(?:\w+\s+)?(?:recommended|aanbevolen)|recommended|aanbevolen"),
             lambda e: e.current_status == "recommended", _lbl("nog aanbevolen", "still recommended"), modifier=True),
    Property("e2ee", "e2ee",
             _p(r"e2ee|end[ -]to[ -]end\w*|versleutel\w*|encrypt\w*|encryptie|encryption|beveiligd|"
                # what end-to-end encryption is for: nobody in between reads along
                r"meelezen|mee (?:kan |kunnen )?lezen|read along|(?:company|bedrijf|server|provider|they) (?:\w+ ){0,2}(?:can'?t|cannot|can not|kan niet|niet kan|niet kunnen) (?:\w+ ){0,2}(?:read|lezen)"),
             _attr("e2ee", "default"), _lbl("standaard end-to-end versleuteld", "end-to-end encrypted by default"),
             weak=True),
)

def audited_by(firm: str) -> Property:
    """"Audited by Cure53": the audits property narrowed to one firm (named as in the knowledge)."""
    key = re.sub(r"\W+", " ", firm.casefold()).strip()

    def test(entry: Entry) -> bool | None:
        audits = entry.facts.audits
        if any(re.sub(r"\W+", " ", a.by.casefold()).strip() == key for a in audits):
            return True
        if any(not a.by for a in audits):
            return None  # audited, but the knowledge does not say by whom
        return False if audits or entry.facts.network else None

    return Property(f"audited_by:{key}", "audits", _p(re.escape(key)), test,
                    _lbl(f"gecontroleerd door {firm}", f"audited by {firm}"))


@dataclass(frozen=True)
class Situation:
    """A situation people describe instead of naming a property, and what it implies."""

    id: str
    pattern: re.Pattern[str]
    implies: tuple[tuple[str, bool], ...]  # (property id, negated)
    why: dict[str, str]  # {"nl": ..., "en": ...}: why these properties, for the reply


def _situation(sid: str, nl: list[str], en: list[str], implies: tuple[tuple[str, bool], ...], why_nl: str, why_en: str) -> Situation:
    return Situation(sid, _p("|".join(nl + en)), implies, _lbl(why_nl, why_en))


# Living where messengers are known to be blocked ("in iran", "uit china") is the blocked situation.
_CENSORING_COUNTRIES = (r"(?:in|uit|from|to|naar|inside|binnen) (?:\w+ )?(?:iran|china|rusland|russia|noord-korea|north korea|turkmenistan|"
                        r"wit-rusland|belarus|myanmar|eritrea|cuba|venezuela|pakistan|turkije|turkey|egypte|egypt|saudi[- ]arabi\w*|vae|uae)")


# Situations as data: phrases per language, the properties they imply, and why.
SITUATIONS: tuple[Situation, ...] = (
    _situation(
        "no_phone",
        [r"geen (?:eigen )?(?:sim\w*|simkaart|mobiel\w*|telefoon\w*|smartphone|gsm)", r"zonder (?:eigen )?(?:sim\w*|simkaart|mobiel\w*|telefoon)",
         r"(?:alleen|enkel|maar) (?:een |hun |mijn |de )?(?:tablets?|ipads?|laptops?|computers?)", r"(?:kinderen|kids|zoon|dochter|oma|opa) (?:\w+ ){0,5}(?:tablets?|ipads?)",
         r"prepaid|wegwerpnummer|vast nummer|vaste lijn"],
        [r"no (?:own )?(?:sim\w*|sim card|cell ?phone|mobile|smart ?phone|phone)s?(?! number)", r"without (?:a |an )?(?:sim\w*|sim card|cell ?phone|mobile|smart ?phone|phone)(?! number)",
         r"(?:don'?t|do not|doesn'?t|does not|dont|doesnt) (?:\w+ )?(?:have|own|got) (?:a |an )?(?:sim\w*|cell ?phone|mobile|phone|number)(?! number)",
         r"(?:only|just) (?:have |has |got )?(?:a |an |their |my |the )?(?:tablets?|ipads?|laptops?|computers?|wi-?fi)",
         r"(?:kids?|children|child|son|daughter|grandma|grandpa|teens?|teenagers?) (?:\w+ ){0,5}(?:tablets?|ipads?)", r"landline|burner"],
        (("phone", True),),
        "zonder simkaart of eigen telefoonnummer heb je een app nodig die zich zonder nummer laat aanmaken",
        "without a SIM or a phone number of your own you need an app that signs up without one"),
    _situation(
        "blocked",
        [r"(?:overheid|regering|land|provider|school|werk\w*) (?:\w+ ){0,3}(?:blokkeert|blokkeren|verbiedt|verbieden|censureert)",
         r"(?:geblokkeerd|verboden|afgesloten|geweerd) (?:\w+ ){0,3}(?:in|door|op|bij)", r"(?:is|zijn|wordt|worden) (?:\w+ ){0,2}(?:geblokkeerd|verboden)", r"(?:in|uit) (?:een )?(?:land|landen) (?:waar|met) (?:\w+ ){0,4}(?:geblokkeerd|verboden|censuur|blokkeert)",
         r"internetcensuur|firewall van china|great firewall", _CENSORING_COUNTRIES],
        [r"(?:government|regime|country|countries|state|isp|provider|school|work|employer)s? (?:\w+ ){0,3}(?:blocks?|blocking|bans?|banned|banning|censors?|censoring|restricts?|shut\w* down)",
         r"(?:blocked|banned|censored|restricted|outlawed) (?:\w+ ){0,3}(?:in|by|at)", r"where (?:\w+ ){0,4}(?:is|are|gets?|got) (?:blocked|banned|censored)",
         r"(?:is|are|gets?|got|was|were|been|being) (?:\w+ )?(?:blocked|banned|censored)",
         r"great firewall|internet censorship|bypass\w* (?:\w+ )?(?:blocks?|blocking|censorship|firewall)|get around (?:\w+ )?(?:blocks?|blocking|censorship)", _CENSORING_COUNTRIES],
        (("censorship", False),),
        "waar de app geblokkeerd wordt, komen apps die via Tor, peer-to-peer of zonder internet werken er nog door",
        "where the app is blocked, apps that route over Tor, work peer-to-peer or work without internet still get through"),
    _situation(
        "big_group",
        [r"(?:honderden|duizenden|tienduizenden|heel veel|enorm veel|(?:een paar |paar )?(?:honderd|duizend)) (?:\w+ ){0,2}(?:leden|mensen|deelnemers|gebruikers)",
         r"grote? (?:community|gemeenschap|groep|vereniging|club|organisatie|kanaal|kanalen|groepschat)", r"hele (?:school|vereniging|organisatie|bedrijf)"],
        [r"(?:hundreds|thousands|tens of thousands|lots and lots|a huge number|(?:a )?(?:few )?(?:hundred|thousand)) (?:of )?(?:\w+ ){0,2}(?:members|people|users|participants)",
         r"(?:big|large|huge|massive|growing) (?:\w+ )?(?:community|communities|group chats?|server|organi[sz]ation|club|channel|channels|audience)",
         r"(?:whole|entire) (?:school|club|organi[sz]ation|company)", r"\d{3,}[\d,.]* (?:members|people|users|participants|leden|mensen)", r"\d+(?:[.,]\d+)? ?k (?:members?|people|users|participants|leden|mensen)"],
        (("group_limit", False),),
        "bij grote groepen loop je tegen het maximumaantal leden per groep aan",
        "large groups run into the limits on members per group"),
    _situation(
        "sources",
        [r"\w*journalist\w*|klokkenluider\w*|bronnen (?:te )?(?:beschermen|afschermen)|bronbescherming|activist\w*|dissident\w*|anoniem (?:\w+ ){0,2}(?:tips|melden|contact)"],
        [r"journalis\w*|whistle-?blow\w*|(?:protect|protecting|shield\w*) (?:my |our |their |your )?sources|activis\w*|dissident\w*|(?:anonymous|confidential) (?:\w+ ){0,2}(?:tips?|sources?|contacts?)"],
        (("anonymous", False), ("metadata", False)),
        "om bronnen te beschermen moet je je zonder telefoonnummer aanmelden en moet de app metadata (wie met wie praat) afschermen",
        "protecting sources takes signing up without a phone number and an app that hides metadata (who talks to whom)"),
    _situation(
        "no_network",
        [r"stroomuitval|stroomstoring|natuurramp\w*|aardbeving\w*|overstroming\w*|festival\w*|kamperen|camping|wildernis|bergen in|op zee|in de natuur|black-?out"],
        [r"power (?:outage|cut|failure)s?|blackouts?|natural disasters?|earthquakes?|hurricanes?|floods?|festivals?|camping|hiking|backcountry|wilderness|at sea|off[ -]grid|remote areas?"],
        (("offline", False),),
        "waar geen internet is, werkt alleen een app die rechtstreeks via wifi, bluetooth of mesh praat",
        "where there is no internet, only an app that talks directly over Wi-Fi, Bluetooth or mesh keeps working"),
)
_BY_ID = {}  # filled below


def find_situations(normalized: str, asked: list[PropertyQuery]) -> list[tuple[Situation, PropertyQuery | None]]:
    """Situations described in a question, each with a property query it implies (a family
    the question already asks about explicitly keeps the explicit query)."""
    families = {q.prop.family for q in asked}
    found: list[tuple[Situation, PropertyQuery]] = []
    for situation in SITUATIONS:
        match = situation.pattern.search(normalized)
        if match is None:
            continue
        added = False
        for prop_id, negated in situation.implies:
            prop = _BY_ID[prop_id]
            if prop.family in families or any(q is not None and q.prop.id == prop_id for _, q in found):
                continue
            found.append((situation, PropertyQuery(prop, negated, match.start(), match.end())))
            added = True
        if not added:
            found.append((situation, None))  # the question already names the property; the situation still says why
    return found


def group_at_least(members: int) -> Property:
    """"A club of 500 members": groups must hold at least that many, where the limit is known."""

    def test(entry: Entry) -> bool | None:
        limit = entry.facts.group_limit
        return None if limit is None else limit >= members

    return Property(f"group_at_least:{members}", "groups", _p(r"(?!x)x"), test,
                    _lbl(f"groepen van minstens {members} leden", f"groups of at least {members} members"))


_MEMBERS = re.compile(r"(\d[\d.,]*)\s*(?:k\b)?\s*(?:\w+\s+)?(?:members|people|users|participants|leden|mensen|deelnemers|gebruikers)")


def members_asked(normalized: str) -> int | None:
    """The group size a question names ("500 leden", "5k participants", "thousands of members")."""
    match = _MEMBERS.search(normalized)
    if match:
        digits = re.sub(r"[.,]", "", match.group(1))
        if digits.isdigit():
            return int(digits) * (1000 if re.match(r"\s*k\b", normalized[match.end(1):]) else 1)
    if re.search(r"\b(?:thousands|duizenden|thousand|duizend)\b", normalized):
        return 1000
    return None


# How properties of one family combine when nobody says "or": phone AND tablet is rare,
# but "Wi-Fi or Bluetooth" and "android en iOS" are how people talk.
FAMILY_ANY = {"offline", "routing", "identity", "network", "metadata"}


def find_properties(normalized: str) -> list[PropertyQuery]:
    """Properties asked for in a normalized question, each with its negation, in order."""
    taken: list[tuple[int, int]] = []
    found: list[PropertyQuery] = []
    for prop in PROPERTIES:
        for match in prop.pattern.finditer(normalized):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            inner = set(re.findall(r"[\w']+", match.group(0)))
            floor = max((t_end for t_start, t_end in taken[:-1] if t_end <= start), default=0)
            negated = _negated_before(normalized, start, floor) or bool(NEGATIONS_AFTER.match(normalized[end:]))
            if prop.negated_by_words and inner & set(prop.negated_by_words):
                negated = not negated
            only = bool(_ONLY_AFTER.match(normalized[end:]) or _ONLY_BEFORE.search(normalized[max(0, start - 25) : start]))
            found.append(PropertyQuery(prop, negated, start, end, only))
    found.sort(key=lambda q: q.start)
    for n in range(1, len(found)):  # "geen gebruikersnaam of id": the negation covers both
        previous, query = found[n - 1], found[n]
        if previous.negated and not query.negated and _OR_ONLY.fullmatch(normalized[previous.end : query.start]):
            found[n] = PropertyQuery(query.prop, True, query.start, query.end, query.only)
    strong = [q for q in found if not q.prop.weak and not q.prop.modifier]
    if strong:
        return sorted(strong + [q for q in found if q.prop.modifier], key=lambda q: q.start)
    return [q for q in found if q.prop.weak]


_OR_ONLY = re.compile(r"\W*(?:or|of|nor|noch|en/of|and/or)\W+(?:(?:a|an|any|een|enige|een|de|het|the)\W+)?")
_ONLY_AFTER = re.compile(r"^\W*(?:only|alleen|exclusively|uitsluitend)\b")
# "only have iPads" is about what people own, not about apps for nothing but iOS.
_ONLY_BEFORE = re.compile(
    r"\b(?:only|alleen|exclusively|uitsluitend)\s+(?!(?:have|has|got|use|uses|own|owns|heb|hebben|heeft|gebruik\w*|a|an|een|one|1|my|mijn|her|his|haar|zijn)\b)(?:\w+\s+){0,2}$"
)


def dedupe(queries: list[PropertyQuery]) -> list[PropertyQuery]:
    """Each (property, negation) once, at its first mention ("move ... to a new phone")."""
    seen: set[tuple[str, bool]] = set()
    out = []
    for query in queries:
        if (query.id, query.negated) not in seen:
            seen.add((query.id, query.negated))
            out.append(query)
    return out


# "without internet, e.g. over Wi-Fi": examples after a negated property are what is wanted.
_EXAMPLES = re.compile(r"\b(?:e\.?g|eg|for example|for instance|such as|like|zoals|bijv|bijvoorbeeld|bv|b\.v|i\.e|dus via|say)\b")


_LIST_OR = re.compile(r"(,\s*[\w'-]+(?:\s+[\w'-]+)?\s+)(?:or|of|nor|noch)\s*$")


def _negated_before(text: str, start: int, floor: int = 0) -> bool:
    """Is the property at ``start`` negated by a word before it, in its own clause? A negation
    that an earlier property's words already used ("without internet") does not carry over."""
    window = text[max(0, start - 80, floor) : start]
    examples = list(_EXAMPLES.finditer(window))
    if examples:
        window = window[examples[-1].end() :]
    window = _LIST_OR.sub(r"\1", window)  # "no account, email or phone number": one list, one negation
    words = re.findall(r"[\w']+", window)[-6:]
    negated = False
    for word in reversed(words):  # the nearest negation counts, within the same clause
        if word in _CLAUSE_BREAK:
            break
        if word in NEGATIONS or word.endswith("n't"):
            negated = True
            break
    return negated


class FilterPlan:
    """How a question's properties combine, decided once per question, then tested per entry."""

    def __init__(self, queries: list[PropertyQuery], normalized: str):
        families: dict[str, list[PropertyQuery]] = {}
        for query in queries:
            families.setdefault(query.prop.family, []).append(query)
        self.groups: list[tuple[list[PropertyQuery], bool]] = []
        for family, group in families.items():
            between = normalized[group[0].start : group[-1].start]
            joined_by_or = len(group) > 1 and bool(re.search(r"\b(of|or|en/of|and/or)\b", between))
            joined_by_and = bool(re.search(r"\b(en|and|both|beide|zowel)\b", between))
            use_any = joined_by_or or (family in FAMILY_ANY and not joined_by_and)
            self.groups.append((group, len(group) > 1 and use_any and not any(q.negated for q in group)))

    def test(self, entry: Entry) -> tuple[bool | None, list[PropertyQuery]]:
        """Does the entry match the whole query? The verdict and the deciding properties."""
        verdict: bool | None = True
        deciding: list[PropertyQuery] = []
        for group, use_any in self.groups:
            results = [(q, q.matches(entry)) for q in group]
            if use_any:
                hits = [q for q, r in results if r]
                if hits:
                    deciding.extend(hits)
                    continue
                value: bool | None = None if any(r is None for _, r in results) else False
            else:
                failed = next((q for q, r in results if r is False), None)
                if failed is not None:
                    return False, [*deciding, failed]
                value = None if any(r is None for _, r in results) else True
                if value:
                    deciding.extend(group)
            if value is False:
                return False, deciding
            if value is None:
                verdict = None
        return verdict, deciding


_BY_ID.update({p.id: p for p in PROPERTIES})
