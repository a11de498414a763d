"""Question understanding: what is asked (intent), about what (entries, properties), in which
language, and how sure we are. A wrong confident answer is worse than silence, so every
reading carries a confidence and anything unsure becomes intent ``none``.

Order of reasoning:
1. Commands (``!info``, ``/help``, Dutch or English, typo tolerant with "did you mean").
2. Free text: entries (exact, alias, fuzzy; common words like "signal" or "session" only in
   the sense of the app), properties with negation, and cue phrases per intent.
3. A decision from those signals, with a confidence; off-topic and small talk are ``none``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from .index import EntityIndex, Mention
from .model import KnowledgeBase
from .properties import PROPERTIES, PropertyQuery, dedupe, find_properties
from .text import _DUTCH, _ENGLISH, detect_language, normalize, strip_quotes_and_code, tokens

CONFIDENT = 0.5  # below this the intent is "none"


@dataclass(frozen=True)
class CommandSpec:
    name: str  # canonical (English) name
    intent: str  # intent it maps to; "" for commands the bot itself runs (moderator ones, about)
    words: tuple[str, ...]  # every word that invokes it, English and Dutch
    moderator: bool = False


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("help", "help", ("help", "hulp", "commands", "commandos", "h")),
    CommandSpec("list", "list", ("list", "lijst", "ls", "recommended", "aanbevolen")),
    CommandSpec("info", "card", ("info", "card", "kaart")),
    CommandSpec("compare", "compare", ("compare", "vergelijk", "vs", "diff")),
    CommandSpec("criteria", "criteria", ("criteria", "eisen", "requirements")),
    CommandSpec("caveats", "caveats", ("caveats", "nadelen", "downsides", "cons")),
    CommandSpec("which", "filter", ("which", "welke", "filter")),
    CommandSpec("sources", "sources", ("sources", "bronnen", "source", "bron")),
    CommandSpec("about", "", ("about", "over")),
    CommandSpec("refresh", "", ("refresh", "vernieuw", "reload"), moderator=True),
    CommandSpec("status", "", ("status", "toestand"), moderator=True),
    CommandSpec("set", "", ("set", "instel"), moderator=True),
    CommandSpec("history", "", ("history", "geschiedenis"), moderator=True),
    CommandSpec("feedback", "", ("feedback", "terugkoppeling"), moderator=True),
    CommandSpec("unanswered", "", ("unanswered", "onbeantwoord"), moderator=True),
)
_COMMAND_WORDS = {word: spec for spec in COMMANDS for word in spec.words}
_COMMAND_CHOICES = sorted(w for w in _COMMAND_WORDS if len(w) >= 3)


@dataclass(frozen=True)
class Command:
    spec: CommandSpec | None  # None: unknown command
    word: str  # as typed
    args: str  # the rest of the message
    suggestion: CommandSpec | None = None  # for a misspelled command: the likely one


def parse_command(message: str, prefix: str = "!") -> Command | None:
    """A command when the message starts with the prefix or '/', else None."""
    text = message.lstrip()
    for lead in dict.fromkeys((prefix, "/")):
        if lead and text.startswith(lead) and not text.startswith(lead * 2):
            rest = text[len(lead) :]
            break
    else:
        return None
    word, _, args = rest.strip().partition(" ")
    norm = normalize(word).strip(".,:;!?")
    if not norm or not re.fullmatch(r"[\w'-]+", norm):
        return None  # "!!!" or "/ " is not a command
    spec = _COMMAND_WORDS.get(norm)
    if spec is not None:
        return Command(spec, word, args.strip())
    hit = process.extractOne(norm, _COMMAND_CHOICES, scorer=fuzz.ratio, score_cutoff=60)
    suggestion = _COMMAND_WORDS[hit[0]] if hit else None
    return Command(None, word, args.strip(), suggestion)


# --- cue phrases (on normalized, accent-free text) -------------------------------------------


def _cue(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])")


# "help" on its own, or said to the bot; not "kan iemand me helpen met mijn printer".
HELP_WORDS = _cue(r"help|hulp|helpen|helpt")
HELP_TO_OTHERS = _cue(r"iemand|someone|anyone|somebody|anybody|iedereen|everyone|jullie allemaal|guys|mensen")
HELP_CUES = _cue(
    r"commands?|commando'?s?|usage|gebruiksaanwijzing|handleiding|manual|(?:de|the|deze|this|jij|you|je) bot|recbot|"
    r"how (?:do|can) i (?:\w+ ){0,4}(?:with you|using you)|hoe (?:\w+ ){0,3}(?:gebruik|praat|werk)\w* (?:ik )?met (?:jou|je|de bot)|"
    r"(?:uitleg|info|explain|explanation|informatie) (?:over |about )?(?:de |the |deze |this )?bot|"
    r"wat kan (?:deze |de |je |jij |jullie )?(?:bot|je|jij|recbot|doen)\w*|wat kun (?:je|jij|u)|wat doe je|wat doet (?:deze |de )?bot|"
    r"vragen stellen|ask (?:you )?questions|over jezelf|about yourself|wie ben jij|wat ben jij|"
    r"what can (?:you|this bot|the bot|recbot) do|what do you do|what are you|wie ben je|wat ben je|who are you|"
    r"how (?:do|can|should) (?:i|we) (?:use|talk to|ask) (?:you|this|the bot|recbot|it)|how does (?:this|the) bot work|"
    r"hoe (?:gebruik|werkt|praat) (?:ik )?(?:met )?(?:je|jou|jij|deze bot|de bot|recbot|dit)|how to use|"
    r"what can i (?:ask|say|type)|what (?:should|do) i (?:type|ask|say)|wat kan ik (?:je |jou )?(?:vragen|zeggen|typen)|"
    r"wat moet ik (?:typen|vragen|zeggen)|hoe (?:\w+ ){0,3}(?:je|jou) (?:\w+ )?gebruiken|how (?:\w+ ){0,3}use you|"
    r"snap (?:het |er )?niet|(?:don'?t|do not) (?:understand|get) how|hoe werkt dit|how does this work"
)
LIST_CUES = _cue(
    r"aanbevolen|aanbeveling\w*|aanraden|aanrader\w*|raden? (?:jullie |je |u )?\w* ?aan|raad (?:je |jullie )?aan|"
    r"recommend\w*|opties|options?|alternatie\w*|keuzes?|choices|suggest\w*|advies|advice|advise|"
    r"lijst\w*|list\w*|overzicht|overview|show me|laat (?:me )?(?:\w+ )?zien|toon|"
    r"alle (?:\w+ )?(?:messengers|apps|opties)|all (?:the |of the )?(?:messengers|apps|options|chat apps)|"
    r"welke (?:\w+ ){0,2}(?:moet|kan|zou|zal|gebruik)|which (?:\w+ ){0,2}(?:should|shall|could|can|to use|would)|"
    r"what (?:\w+ ){0,2}(?:should|shall|could|would) (?:i|we) use|wat (?:\w+ ){0,2}(?:moet|kan|zou) (?:ik|we) gebruiken|"
    r"beste (?:\w+ ){0,2}(?:messenger|app|chat\w*|berichten\w*)s?|best (?:\w+ ){0,2}(?:messenger|app|chat\w*|messaging)s?|"
    r"veilig (?:te )?(?:chatten|appen|berichten)|safe(?:ly)? (?:chat|message|messaging|texting)|"
    r"secure (?:chat|messag\w*)|veilige (?:messenger|app|chat\w*)s?|"
    r"goede? (?:\w+ ){0,2}(?:messenger|app|chat\w*)s?|good (?:\w+ ){0,2}(?:messenger|app|chat\w*)s?"
)
CAVEAT_CUES = _cue(
    r"nade\w*|minpunt\w*|reden om (?:\w+ ){0,3}niet|reasons? (?:\w+ ){0,3}not|reasons? to avoid|kanttekening\w*|waarschuwing\w*|risico'?s?|gevaren|gevaar|"
    r"zwakke? punten|zwakte\w*|problemen|probleem|kritiek|zorgen|"
    r"downsides?|drawbacks?|cons|risks?|risky|dangers?|weakness\w*|problems?|issues|caveats?|warnings?|concerns?|criticism|"
    r"waarom (?:\w+ ){0,4}(?:geen|niet)|why (?:\w+ ){0,3}(?:not|no|isn'?t|shouldn'?t|don'?t)|haken en ogen|wat is er mis|what'?s wrong|what is wrong|"
    r"geschikt|suitable|veilig genoeg|safe enough|te vertrouwen|trustworthy|betrouwbaar|"
    r"moet ik (?:\w+ )?(?:oppassen|opletten)|watch out|be careful|pas op|"
    r"nog (?:wel )?veilig|still (?:safe|recommended|ok)|not recommended|niet (?:meer )?aanbevolen|no longer|niet meer|verwijderd|removed|dropped|"
    r"bad|slecht\w*|catch|nadelig\w*|letten|oppassen|opletten|pitfalls?|gotchas?|limitations?|beperking\w*|tekortkoming\w*|"
    r"slechte kanten|keerzijde|flaws?|kwetsba\w*|vulnerab\w*"
)
CRITERIA_CUES = _cue(
    r"criteria|criterium|criterion|eisen|eis|requirements?|vereisten|voorwaarden|maatstaven|"
    r"beste geval|best[- ]case|minimum|minimale|minimal|voldoe[tn]?|meets?|satisf\w*|qualif\w*|"
    r"how do (?:you|they|jullie) (?:choose|pick|select|decide|evaluate)|"
    r"hoe (?:kiezen|kies|selecteren|bepalen|beoordelen|beslissen) (?:jullie|je|ze|zij)|"
    r"waarom (?:\w+ ){0,2}aanbevolen|why (?:is |are )?(?:\w+ ){0,2}recommended|selection|selectie|standaard(?:en)?|standards|"
    r"basis|grondslag|ideale?|ideal|perfecte? (?:app|messenger|project)|minimum\w*|vereisten|regels|rules|beoordel\w*|"
    r"(?:the|de) (?:bar|lat)|why these|waarom deze|verplicht|mandatory|obligatory|"

    r"evaluat\w*|judg\w*|get on (?:your|the) list|op (?:jullie|de|je) lijst (?:te )?komen|what does (?:a|an) (?:\w+ )?(?:need|have)|"
    r"waar moet (?:een|de) (?:\w+ )?aan voldoen"
)
COMPARE_CUES = _cue(
    r"vs\.?|versus|vergelijk\w*|compare[ds]?|comparing|comparison|verschil\w*|difference\w*|differ|diff|between|tussen|verhoud\w*|naast elkaar|side by side|tegen elkaar|head to head|compared to|in vergelijking|relates? to|"
    r"beter dan|better than|slechter dan|worse than|tegenover|against|or|of|dan|than|"
    r"welke (?:is|van) (?:\w+ ){0,2}beter|which (?:is|one is) better|instead of|in plaats van"
)
CARD_CUES = _cue(
    r"wat is|what is|what'?s|wie is|wat weet je|what do you know|vertel|tell me|tell us|info\w*|uitleg|leg uit|explain|"
    r"about|over|wat vind je|what do you think|hoe zit het met|how about|what about|is \w+ (?:goed|veilig|good|safe|ok)|"
    r"kaart|card|samenvatting|summary|details?|rundown|overview of|download\w*|install\w*|ken je|do you know|heard of|"
    r"gehoord van|hoe werkt|how does|waar (?:kan|haal|vind) ik|where (?:do|can) i (?:get|find)|"
    r"in het kort|in short|kort|samengevat|tl;?dr|briefly|in a nutshell"
)
QUESTION_CUES = _cue(
    r"welke|welk|wat|hoe|waarom|which|what|whats|how|why|"
    r"need|needs|nodig|want|wil|willen|zoek\w*|looking|search\w*|suggest\w*|graag|any of them|one of them|"
    r"something|iets|anything|eentje|one that|een app die|an app that"
)
# The bot's subject: words that put a question in the messenger domain.
DOMAIN_WORDS = _cue(
    r"messengers?|apps?|chat\w*|berichten\w*|messag\w*|im|sms|texting|appen|bellen|calls?|"
    r"e2ee|encrypt\w*|versleutel\w*|privacy|prive|private|veilig\w*|secure|safe|"
    r"whatsapp|telegram|threema|wire|viber|wickr|imessage|discord|"
    r"tor|groepen|groups"
)
# "Why is X not (or no longer) on the list?": about X's caveats, or about the criteria.
WHY_NOT_LISTED = _cue(
    r"waarom (?:staat|staan|zit|zitten) (?:\w+ ){0,3}(?:niet|er niet)|why (?:isn'?t|is not|aren'?t|isnt) (?:\w+ ){0,2}(?:on|in) (?:the |your )?list|"
    r"why (?:did|does|do) (?:\w+ ){0,3}(?:drop|remove|exclude)\w*|waarom (?:\w+ ){0,3}(?:verwijderd|geschrapt|weggehaald)"
)
ADDRESSED_TO_OTHERS = _cue(
    r"(?:weet|heeft|kan|wil|gaat|is) (?:er )?iemand|iemand (?:een )?idee|does anyone|anyone (?:know|have|got|else|here)|"
    r"has anyone|can someone|is anyone|somebody know|jullie allemaal|hey (?:guys|all|allemaal)"
)
MESSENGER_WORDS = _cue(r"messengers?|chat\w*|berichten\w*|messaging|instant messag\w*|whatsapp|telegram|sms")
# Other topics a privacy community talks about, which this bot does not know.
OFF_TOPIC = _cue(
    r"browsers?|vpns?|dns|resolvers?|e-?mail\w*|mail|mailbox|password ?managers?|wachtwoord\w*|passwords?|"
    r"zoekmachine\w*|search ?engines?|besturingssysteem\w*|operating systems?|os|router\w*|firewall\w*|antivirus|"
    r"cloud\w*|opslag|storage|backup ?dienst|notities|notes|agenda|calendar|foto'?s?|photos?|vps|hosting|domein\w*|"
    r"crypto\w*|bitcoin|monero|wallet\w*|2fa|authenticator\w*|totp|yubikey|sleutelhanger|"
    r"diner|dinner|lunch|ontbijt|breakfast|eten|food|weer|weather|pizza|voetbal|football|film|movie|muziek|music|"
    r"vakantie|holiday|werk|job|school|huiswerk|homework|auto|car|tv|netflix|game\w*|spel\w*|"
    r"smart ?tv|smartwatch|laptops? kopen|telefoon kopen|buy a phone|kopen|buy|\w*mail\w*|printers?|scanners?|"
    r"linear|programming|programmeren|math\w*|wiskunde|tuin|garden|brambles|doornstruik\w*|fysio\w*|dokter|doctor|bank\w*|"
    r"therap\w*|website|webshop|distro\w*|distributie\w*|distribution\w*|"
    r"(?:switch|switching|overstappen|overstap|moving|move|migrate)\w* (?:\w+ )?(?:to|naar) (?:linux|windows|macos|mac|android|ios|iphone|graphene\w*)"
)
# Products of other privacy topics: masked before looking for properties ("tor browser").
OFF_TOPIC_PRODUCTS = _cue(
    r"tor ?browser|firefox|brave|chrome|chromium|safari|librewolf|mullvad|ivpn|bitwarden|keepass\w*|"
    r"1password|lastpass|grapheneos|calyxos|lineageos|duckduckgo|startpage|qwant|nextcloud|cryptpad|joplin|"
    r"veracrypt|tails|qubes|whonix|ublock\w*|adblock\w*|pi-?hole|nextdns|quad9|tutanota|tuta|proton\w*"
)
SMALL_TALK = _cue(
    r"hallo|hoi|hey|hi|hello|yo|goedemorgen|goedemiddag|goedenavond|morning|evening|welkom|welcome|"
    r"dank\w*|bedankt|thanks|thank you|thx|ty|merci|top|cool|nice|mooi|prima|super|geweldig|great|awesome|"
    r"ok|oke|okay|oké|k|ja|nee|yes|no|yep|nope|lol|haha\w*|doei|bye|tot ziens|later|sorry|excuses|"
    r"goed zo|well done|good bot|slechte bot|bad bot|fijne dag|have a nice day"
)
# Words that never start a fuzzy entry match: vocabulary and lookalikes of entry names.
LOOKALIKES = {
    "signaal", "signalen", "signals", "signale", "single", "sigaar", "sigaren", "simple", "simpel", "simpele",
    "simply", "sessie", "sessies", "sessions", "elements", "elementen", "elementair", "elementary",
    "brian", "brain", "brie", "holly", "jolly", "folly", "molen", "briefly", "settings", "service",
    "version", "versie", "minimal", "missing", "messages", "message", "session's",
}
_CUE_PATTERNS = (HELP_CUES, LIST_CUES, CAVEAT_CUES, CRITERIA_CUES, COMPARE_CUES, CARD_CUES, QUESTION_CUES, DOMAIN_WORDS,
                 OFF_TOPIC, OFF_TOPIC_PRODUCTS, SMALL_TALK, *(p.pattern for p in PROPERTIES))
# Vocabulary the cue patterns already understand is never mistaken for a misspelled name.
KNOWN_WORDS = frozenset(
    _DUTCH | _ENGLISH | LOOKALIKES | {w for p in _CUE_PATTERNS for w in re.findall(r"[a-z]{4,}", p.pattern)}
)
# A name that is also an everyday word counts as the app only in the app's sense.
COMMON_WORD_NAMES = {"signal", "session", "element", "briar", "molly", "matrix", "simplex"}
_DETERMINERS = {
    "a", "an", "the", "this", "that", "one", "every", "each", "good", "bad", "een", "de", "het", "deze", "dit",
    "elk", "elke", "goed", "goede", "slecht", "slechte", "weak", "strong", "zwak", "sterk", "weinig", "veel",
    "chemical", "chemisch", "periodic", "therapy", "therapie", "training", "jam", "lange", "long",
    "wifi", "gsm", "cell", "radio", "tv", "mobile", "4g", "5g", "lte", "traffic", "turn", "stop", "key",
}
_PREP_BEFORE = {"of", "with", "met", "in", "at", "vol", "full"}
_POSSESSIVES = {"my", "your", "our", "their", "his", "her", "mijn", "jouw", "onze", "ons", "hun", "zijn", "haar"}
_PREPOSITIONS = {"of", "with", "van", "met", "at", "bij", "in", "tijdens", "during", "patch", "struik"}
_APP_WORDS = {"app", "apps", "messenger", "client", "account", "chat", "desktop", "android", "ios"}


@dataclass(frozen=True)
class Understanding:
    intent: str
    lang: str
    confidence: float
    entries: tuple[str, ...] = ()
    properties: tuple[PropertyQuery, ...] = ()
    command: Command | None = None
    normalized: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)  # why: for debugging and eval output


#: ``understand(..., command=PARSE)``: the message's command is not parsed yet.
PARSE = Command(None, "", "")


def understand(message: str, index: EntityIndex, kb: KnowledgeBase, default_lang: str = "nl", prefix: str = "!",
               command: Command | None = PARSE) -> Understanding:
    """Read one message. Never raises on any text. A caller that has parsed the message's
    command already (the bot) passes it as ``command`` (None: no command)."""
    message = strip_quotes_and_code(message if isinstance(message, str) else "")
    default_lang = default_lang if default_lang in ("nl", "en") else "nl"
    if command is PARSE:
        command = parse_command(message, prefix)
    if command is not None:
        return _understand_command(command, index, kb, default_lang)
    return _understand_text(message, index, kb, default_lang)


def _understand_command(command: Command, index: EntityIndex, kb: KnowledgeBase, default_lang: str) -> Understanding:
    args_norm = normalize(command.args)
    words = tokens(args_norm)
    lang = detect_language(words, default_lang).lang
    if command.spec is not None and command.word.lower() in _DUTCH_COMMANDS:
        lang = "nl"  # "!hulp", "!kaart signal": the command's language tells
    if command.spec is None:
        # Unknown or misspelled: show help with a "did you mean", never guess an action.
        return Understanding("help", lang, 0.9, command=command, normalized=args_norm, notes=("unknown command",))
    spec = command.spec
    if spec.name == "about" and words:
        spec = _COMMAND_WORDS["info"]  # "!over signal": about an entry, not about the bot
        command = Command(spec, command.word, command.args)
    if not spec.intent:
        return Understanding("help", lang, 1.0, command=command, normalized=args_norm, notes=("bot command",))
    mentions = _entities(words, index, args_norm, strict=False)
    ids = _unique(m.entry_id for m in mentions)
    if spec.intent == "filter":
        props = tuple(dedupe(find_properties(args_norm)))
        return Understanding("filter", lang, 1.0, properties=props, command=command, normalized=args_norm)
    if spec.intent == "compare" and len(ids) < 2 and words:
        ids = _unique([*ids, *_suggested(words, index)])
    if spec.intent == "card" and not ids and words:
        ids = _suggested(words, index)[:1]
        confidence = 0.7 if ids else 1.0
        return Understanding("card", lang, confidence, tuple(ids), command=command, normalized=args_norm,
                             notes=("fuzzy suggestion",) if ids else ("no entry",))
    return Understanding(spec.intent, lang, 1.0, tuple(ids), command=command, normalized=args_norm)


_DUTCH_COMMANDS = {"hulp", "lijst", "kaart", "vergelijk", "eisen", "nadelen", "welke", "bronnen", "bron", "over",
                   "aanbevolen", "vernieuw", "toestand", "instel", "geschiedenis", "terugkoppeling", "onbeantwoord"}


def _suggested(words: list[str], index: EntityIndex) -> list[str]:
    return _unique(entry_id for word in words for entry_id in index.suggest(word, limit=1))


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def _entities(words: list[str], index: EntityIndex, normalized: str, strict: bool = True, has_props: bool = False) -> list[Mention]:
    """Entry mentions, dropping everyday-word senses ("slecht signaal", "a session with")."""
    mentions = index.find(words, KNOWN_WORDS)
    if not strict:
        return mentions
    kept: list[Mention] = []
    has_domain = bool(DOMAIN_WORDS.search(normalized)) or len({m.entry_id for m in mentions}) > 1
    for mention in mentions:
        if mention.surface.split("'")[0] in COMMON_WORD_NAMES and not _app_sense(mention, words, has_domain, has_props):
            continue
        kept.append(mention)
    return kept


def _app_sense(mention: Mention, words: list[str], has_domain: bool, has_props: bool) -> bool:
    """Is a name that is also an everyday word ("session", "signal") used as the app's name?"""
    before = words[mention.start - 1] if mention.start > 0 else ""
    after = words[mention.end] if mention.end < len(words) else ""
    if after in _APP_WORDS or before in _APP_WORDS:
        return True
    if before in _DETERMINERS:  # "a session", "het element": the app only among app talk
        return has_domain and before not in _ADJECTIVES
    text = " ".join(words)
    asks = any(cue.search(text) for cue in (CARD_CUES, CAVEAT_CUES, CRITERIA_CUES, LIST_CUES))
    if after in _PREPOSITIONS and (before in _POSSESSIVES or not (has_domain or asks)):
        return False  # "my session with", "signal in the tunnel", "briar patch"
    if before in _PREP_BEFORE and not (has_domain or has_props or asks):
        return False  # "full of briar"
    if len(words) <= 4 or has_domain or has_props or words[0] in _QUESTION_START:
        return True
    return asks  # a longer sentence: the app only when it asks the bot something about it


_QUESTION_START = {
    "show", "give", "geef", "toon", "list", "noem", "name", "zeg", "vertel", "explain", "leg",
    "wat", "welke", "hoe", "waarom", "waar", "kan", "kun", "is", "heeft", "werkt", "ken", "moet", "zou", "klopt",
    "what", "which", "how", "why", "where", "can", "could", "is", "does", "do", "has", "should", "would", "tell",
}
_ADJECTIVES = {"goed", "goede", "slecht", "slechte", "weak", "strong", "zwak", "sterk", "weinig", "veel", "good", "bad"}


_VOCABULARY = sorted(w for w in KNOWN_WORDS - LOOKALIKES if len(w) >= 5 and w.isalpha())


def _correct_spelling(normalized: str, words: list[str], index: EntityIndex) -> tuple[str, list[str]]:
    """Fix typos in the words the cues know ("telefoonummer", "aanbevoelen"), not in names."""
    fixes: dict[str, str] = {}
    for word in set(words):
        if len(word) < 5 or word in KNOWN_WORDS or not word.isalpha() or index.is_name(word):
            continue
        hit = process.extractOne(word, _VOCABULARY, scorer=fuzz.ratio, score_cutoff=85 if len(word) < 8 else 82)
        if hit is None or hit[0].startswith(word) or word.startswith(hit[0]):
            continue  # "vereist" is not a typo of "vereisten"
        name_score = index.best_score(word)
        if hit[1] > name_score:
            fixes[word] = hit[0]
    if not fixes:
        return normalized, words
    pattern = re.compile(r"(?<![\w'-])(" + "|".join(map(re.escape, fixes)) + r")(?![\w'-])")
    normalized = pattern.sub(lambda m: fixes[m.group(1)], normalized)
    return normalized, tokens(normalized)


def _in_question_clauses(props: list[PropertyQuery], normalized: str) -> list[PropertyQuery]:
    """When a message asks in one clause and tells in others, the asking clause decides."""
    clauses = [(m.start(), m.end()) for m in re.finditer(r"[^.?!;:]+\?", normalized)]
    if not clauses or len(clauses) == 1 and clauses[0] == (0, len(normalized)):
        return props
    asked = [p for p in props if any(start <= p.start < end for start, end in clauses)]
    return asked or props


def _understand_text(message: str, index: EntityIndex, kb: KnowledgeBase, default_lang: str) -> Understanding:
    normalized = normalize(message)
    words = tokens(normalized)
    lang = detect_language(words, default_lang).lang
    if not words:
        return Understanding("none", lang, 0.0, normalized=normalized, notes=("empty",))
    normalized, words = _correct_spelling(normalized, words, index)

    masked = OFF_TOPIC_PRODUCTS.sub(lambda m: " " * len(m.group(0)), normalized)
    props = tuple(dedupe(_in_question_clauses(find_properties(masked), normalized)))
    mentions = _entities(words, index, normalized, has_props=bool(props))
    ids = tuple(_unique(m.entry_id for m in mentions))
    strength = max((m.score for m in mentions), default=0.0) / 100
    cues = {
        "help": bool(HELP_CUES.search(normalized))
        or bool(HELP_WORDS.search(normalized) and (len(words) <= 4 or not HELP_TO_OTHERS.search(normalized))),
        "list": bool(LIST_CUES.search(normalized)),
        "caveats": bool(CAVEAT_CUES.search(normalized)),
        "criteria": bool(CRITERIA_CUES.search(normalized)),
        "why_not": bool(WHY_NOT_LISTED.search(normalized)),
        "compare": bool(COMPARE_CUES.search(normalized)),
        "card": bool(CARD_CUES.search(normalized)),
        "question": bool(QUESTION_CUES.search(normalized)) or "?" in message or words[0] in _QUESTION_START,
        "domain": bool(DOMAIN_WORDS.search(normalized)),
        "off_topic": bool(OFF_TOPIC_PRODUCTS.search(normalized))
        or any(not any(p.start <= m.start() < p.end for p in props) for m in OFF_TOPIC.finditer(normalized)),
    }
    notes = tuple(k for k, v in cues.items() if v)

    def result(intent: str, confidence: float, entries: tuple[str, ...] = ids) -> Understanding:
        if confidence < CONFIDENT:
            return Understanding("none", lang, confidence, entries, props, normalized=normalized, notes=notes)
        return Understanding(intent, lang, min(confidence, 1.0), entries, props, normalized=normalized, notes=notes)

    if ids:
        base = 0.55 + 0.4 * strength
        if cues["why_not"]:
            return result("caveats", base + 0.1)
        if cues["criteria"] and not cues["compare"] or (cues["criteria"] and len(ids) == 1):
            return result("criteria", base + 0.1)
        if cues["caveats"]:
            return result("caveats", base + 0.1)
        names_only = len(words) - sum(m.end - m.start for m in mentions) <= 2
        if len(ids) >= 2 and (cues["compare"] or names_only) and not (props and not cues["compare"]):
            return result("compare", base + 0.05)
        if props and len(ids) >= 2:
            return result("filter", base)
        if cues["list"] and not cues["card"] and len(words) > 3 and re.search(r"\b(welke|which|wat|what)\b", normalized):
            return result("list", base)
        return result("card", base + (0.05 if cues["card"] or len(words) <= 3 else 0))

    # No entry named.
    if ADDRESSED_TO_OTHERS.search(normalized) and not cues["help"]:
        return result("none", 0.2)  # "weet iemand hoe laat de vergadering begint?"
    if cues["off_topic"] and not MESSENGER_WORDS.search(normalized):
        return result("none", 0.2)
    if cues["criteria"] or cues["why_not"]:
        return result("criteria", 0.85)
    if cues["list"] and props and all(p.prop.weak for p in props):
        return result("list", 0.8)  # "the best encrypted chat app": encryption is a given
    if props and (cues["question"] or cues["domain"] or len(words) <= 4):
        confidence = 0.8 if not all(p.prop.weak for p in props) else 0.6
        return result("filter", confidence, ())
    if cues["help"] and not (cues["list"] and cues["domain"]):
        return result("help", 0.85)
    if cues["list"] and (cues["domain"] or cues["question"] or len(words) <= 4):
        return result("list", 0.8 if cues["domain"] or cues["question"] else 0.6)
    if cues["domain"] and cues["question"] and not SMALL_TALK.fullmatch(normalized.strip(" ?!.")):
        return result("list", 0.55)
    return result("none", 0.1 if SMALL_TALK.search(normalized) else 0.3)
