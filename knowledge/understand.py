"""Question understanding: what is asked (intent), about what (entries, properties), in which
language, and how sure we are. A wrong confident answer is worse than silence, so every
reading carries a confidence and anything unsure becomes intent ``none``.

Order of reasoning:
1. Commands (``!info``, ``/help``, Dutch or English, typo tolerant with "did you mean").
2. Free text: the language (another one gets a line and the card of what it names); entries
   (exact, alias, split or hyphenated, fuzzy; common words like "signal" or "session" only in
   the sense of the app; apps named only as context dropped); products the knowledge does not
   know; properties with negation, and the situations that imply them; cue phrases per intent.
3. A decision from those signals, with a confidence: a named entry first (a yes/no question is
   marked as such), app support about it as ``support``; remarks, requests to an app's
   developers, off-topic and small talk are ``none``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from . import discourse
from .index import EntityIndex, Mention
from .model import KnowledgeBase
from .properties import (
    PROPERTIES, SITUATIONS, PropertyQuery, Situation, dedupe, find_properties, find_situations, group_at_least, members_asked,
)
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
    r"wat kan (?:deze |de |je |jij |jullie )?(?:bot|je|jij|recbot|doen)\w*|wat kun (?:je|jij|u)|wat doe (?:je|jij|u)|(?:welke|wat voor) vragen (?:\w+ ){0,3}(?:stellen|vragen)|what (?:kind of |sort of )?(?:questions|things|stuff) (?:\w+ ){0,2}(?:can|may|should|do) i ask|who (?:made|built|created|wrote|makes|runs|programmed) you|wie heeft (?:jou|je) (?:gemaakt|gebouwd|geschreven)|wie (?:maakte|bouwde) (?:jou|je)|wat doet (?:deze |de )?bot|"
    r"(?:do|can) (?:you|u) (?:also |even )?(?:speak|understand|talk|answer in|reply in) (?:\w+ )?(?:dutch|english|nederlands|engels|other languages)|"
    r"(?:spreek|praat|begrijp|versta) (?:je|jij|u) (?:ook |ook wel )?(?:nederlands|engels|dutch|english|andere talen)|which languages|welke talen|"
    r"vragen stellen|ask (?:you )?questions|over jezelf|about yourself|wie ben jij|wat ben jij|"
    r"(?:are|r) (?:you|u) (?:a |an )?(?:bot|human|person|robot|ai|real)|ben (?:je|jij) (?:een )?(?:bot|mens|robot)|"
    r"what can (?:you|this bot|the bot|recbot) do|what (?:the|this) bot can (?:do|answer)|hoe werk (?:jij|je|u)|how do you work|what (?:kind|sort|type)s? of (?:\w+ ){0,2}can (?:i|we) ask|what do you do|what are you|wie ben je|wat ben je|who are you|"
    r"how (?:do|can|should) (?:i|we) (?:use|talk to|ask) (?:you|this|the bot|recbot|it)|how does (?:this|the) bot work|"
    r"hoe (?:gebruik|werkt|praat) (?:ik )?(?:met )?(?:je|jou|jij|deze bot|de bot|recbot|dit)|how to use|"
    r"what can i (?:ask|say|type)|what (?:should|do) i (?:type|ask|say)|wat kan ik (?:je |jou )?(?:vragen|zeggen|typen)|"
    r"wat moet ik (?:typen|vragen|zeggen)|hoe (?:\w+ ){0,3}(?:je|jou) (?:\w+ )?gebruiken|how (?:\w+ ){0,3}use you|"
    r"snap (?:het |er )?niet(?! waarom| why)|(?:don'?t|do not) (?:understand|get) how|hoe werkt dit|how does this work"
)
LIST_CUES = _cue(
    r"aanbevolen|aanbeveling\w*|aanraden|aanrader\w*|raden? (?:jullie |je |u )?\w* ?aan|raad (?:je |jullie )?aan|"
    r"recommend\w*|opties|options?|alternati\w*|keuzes?|choices|suggest\w*|advies|advice|advise|"
    r"lijst\w*|list\w*|overzicht|overview|show me|something else|iets anders|"
    r"waar (?:moet|kan|zou|moeten|kunnen) (?:ik|we|wij) (?:dan |nu |nog )?(?:naartoe|heen|overstappen)|where (?:should|do|can|could) (?:i|we) (?:go|move|switch)(?: to)?|"
    r"laat (?:me )?(?:\w+ )?zien|toon|"
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
    r"slechte kanten|keerzijde|flaws?|kwetsba\w*|vulnerab\w*|"
    r"weak ?points?|weak spots?|(?:should|need to|must|moet|moeten) (?:\w+ ){0,2}(?:know|weten)|eruit gegooid|eruit gehaald|gekickt|kicked out|thrown out|red flags?|5 eyes|five eyes|"
    r"privacy (?:concerns?|issues?|problems?)|inappropriate|can read|collect\w* (?:\w+ )?data|not (?:the )?best|falls? back|"
    r"(?:can ?not|can'?t|don'?t|do not) trust|wantrouw\w*|untrustworthy|niet (?:te )?vertrouwen|"
    r"rekening (?:\w+ )?(?:mee )?houden|keep in mind|bear in mind|scary|frightening|eng|leak\w*|lekt|lekken|logs? (?:\w+ ){0,2}(?:ips?|ip-?adress\w*|addresses|metadata)|worried|worrying|bezorgd|"
    r"defeats? (?:the )?(?:whole )?(?:purpose|point|privacy)|spy\w*|tracking|tracks? (?:you|users)|data (?:collection|harvesting)|conflicts? of interest|roll(?:ed|ing)? (?:their|its) own crypto"
)
CRITERIA_CUES = _cue(
    r"criteria|criterium|criterion|eisen|eis|requirements?|vereisten|voorwaarden|maatstaven|"
    r"beste geval|best[- ]case|minimum|minimale|minimal|voldoe[tn]?|meets?|satisf\w*|qualif\w*|"
    r"how do (?:you|they|jullie) (?:choose|pick|select|decide|evaluate)|"
    r"hoe (?:kiezen|kies|selecteren|bepalen|beoordelen|beslissen) (?:jullie|je|ze|zij)|"
    r"waarom (?:\w+ ){0,2}aanbevolen|why (?:is |are )?(?:\w+ ){0,2}recommended|waarom (?:\w+ ){0,3}(?:aanraadt|aanraden|aanbeveelt)|why (?:\w+ ){0,3}recommends|selection|selectie|standaarden|(?:de|die|deze|welke|jullie|een|hoge?) standaard|standards|"
    r"basis|grondslag|ideale?|ideal|perfecte? (?:app|messenger|project)|minimum\w*|vereisten|regels|rules|beoordel\w*|"
    r"(?:the|de) (?:bar|lat)|why these|waarom deze|verplicht|mandatory|obligatory|"

    r"evaluat\w*|judg\w*|get on (?:your|the) list|op (?:jullie|de|je) lijst (?:te )?komen|what does (?:a|an) (?:\w+ )?(?:need|have)|"
    r"waar moet (?:een|de) (?:\w+ )?aan voldoen|"
    r"waarom raden (?:jullie|je|ze|jij|u) (?:\w+ ){0,3}aan|hoe komen (?:jullie|je|ze) (?:\w+ ){0,2}(?:aan|tot|bij)|"
    r"(?:wie|wat) (?:bepaalt|kiest|beslist)|(?:who|what) (?:decides|picks|chooses|determines)|"
    r"op (?:de|jullie|je|die|deze) lijst (?:komt|komen|staat|staan|terecht)|on (?:the|your|this) list (?:get|gets|end up|ends up|make it)|"
    r"op basis (?:waarvan|van wat)|waarop (?:baseren|gebaseerd|kiezen)|gebaseerd op|based on what|what (?:is|are) (?:this|these|the list|your picks) based on|"
    r"how (?:did|do|does) (?:you|they|privacy guides) (?:come up with|arrive at|get to|make|build|compile|decide)|"
    r"hoe (?:wordt|worden|is|zijn|werd) (?:de|deze|die|jullie) (?:lijst|keuze|aanbevelingen|selectie) (?:\w+ )?(?:gemaakt|samengesteld|bepaald|gekozen|tot stand)|"
    r"how (?:is|was|are) (?:the|this|your) (?:list|selection|choice|picks|recommendations) (?:\w+ )?(?:made|compiled|decided|chosen|put together)|"
    r"waarom (?:juist |precies |nou )?(?:deze|die)|hoe (?:kies|kiest|kiezen|bepaal|bepaalt|bepalen|selecteert|selecteren) (?:\w+ ){0,2}?(?:jullie|je|ze|privacy guides|pg)|"
    r"checklist\w*|check ?list|why (?:does|do|would|should) (?:\w+ ){1,3}(?:matter|count)|why (?:is|are) (?:\w+ ){1,3}(?:so )?important|"
    r"waarom (?:is|zijn|telt|tellen) (?:\w+ ){1,3}(?:zo )?(?:belangrijk|van belang)|waarom (?:\w+ ){1,3}(?:zo )?zwaar (?:weegt|wegen)|"
    r"what makes (?:an? |the )?(?:\w+ )?(?:apps?|messengers?) (?:\w+ ){0,3}(?:good|safe|secure|private|trustworthy|worthy|qualify|recommended)|"
    r"what makes (?:an? |the )?(?:good|safe|secure|private|trustworthy) (?:\w+ ){0,3}(?:apps?|messengers?|clients?)|wat maakt (?:een )?(?:goede|veilige|betrouwbare) (?:\w+ )?(?:app|messenger)|"
    r"good enough (?:for|to be on|to make) (?:your|the) list|wat maakt (?:een )?(?:\w+ )?(?:app|messenger) (?:\w+ ){0,2}(?:goed|veilig|geschikt|betrouwbaar)|"
    r"methodolog\w*|werkwijze|aanpak|worthy|worth (?:considering|adding|listing)|reconsider\w*|re-?evaluat\w*|heroverweg\w*|consideration|deserve\w*|belongs? on|"
    r"om aanbevolen te (?:worden|zijn)|to (?:be|get) (?:recommended|listed)|to make (?:it onto |it on )?(?:the|your) list"
)
COMPARE_CUES = _cue(
    r"vs\.?|versus|vergelijk\w*|compare[ds]?|comparing|comparison|verschil\w*|difference\w*|differ|diff|between|tussen|verhoud\w*|naast elkaar|side by side|tegen elkaar|head to head|compared to|in vergelijking|relates? to|"
    r"beter dan|better than|slechter dan|worse than|tegenover|against|or|of|dan|than|preferable to|prefer\w* (?:\w+ )?(?:over|to)|superior to|(?:safer|more secure|more private|better) th(?:an|en|at)|veiliger dan|"
    r"welke (?:is|van) (?:\w+ ){0,2}beter|which (?:is|one is) better|instead of|in plaats van"
)
CARD_CUES = _cue(
    r"wat is|what is|what'?s|wie is|wat weet je|what do you know|vertel|tell me|tell us|info\w*|uitleg|leg uit|explain|"
    r"about|over|wat vind je|what do you think|hoe zit het met|how about|what about|is \w+ (?:goed|veilig|good|safe|ok)|"
    r"kaart|card|samenvatting|summary|details?|rundown|overview of|download\w*|install\w*|ken je|do you know|heard of|"
    r"gehoord van|hoe werkt|how does|waar (?:kan|haal|vind) ik|where (?:do|can) i (?:get|find)|"
    r"in het kort|in short|kort|samengevat|tl;?dr|briefly|in a nutshell|"
    r"wie (?:zit|zitten|zat) (?:er )?(?:\w+ )?achter|who(?:'s| is| are) (?:\w+ )?behind|who (?:owns|makes|made|runs|develops|funds)|wie (?:maakt|bezit|financiert)|"
    r"(?:still )?worth (?:it|using|a try|the switch)|(?:nog )?de moeite waard"
)
QUESTION_CUES = _cue(
    r"welke|welk|wat|hoe|waarom|which|what|whats|how|why|i thought|i wonder|wondering|not sure|i don'?t remember|confused|curious|"
    r"ik dacht|vraag me af|weet niet zeker|"
    r"need|needs|nodig|want|wil|willen|zoek\w*|looking|search\w*|suggest\w*|graag|any of them|one of them|"
    r"something|iets|anything|eentje|one that|een app die|an app that"
)
# The bot's subject: words that put a question in the messenger domain.
DOMAIN_WORDS = _cue(
    r"messengers?|apps?|chat\w*|berichten\w*|messag\w*|im|sms|texting|appen|bellen|calls?|"
    r"e2ee|encrypt\w*|versleutel\w*|privacy|prive|private|veilig\w*|secure|safe|"
    r"whatsapp|telegram|threema|viber|wickr|imessage|discord|"  # not "wire": "wire money" is no app talk
    r"tor|groepen|groups|"
    # what people do with a messenger app: its settings, account and troubles
    r"notificati\w*|notifications?|meldingen|back-?ups?|restor\w*|herstel\w*|accounts?|contacts?|contacten|recovery|herstelzin|"
    r"pincode|passwords?|passphrase|install\w*|updates?|protocol\w*|encryption|versleuteling|servers?|homeservers?|desktop|legit|"
    r"five eyes|5 eyes|metadata|delivery|decrypt\w*|verif\w*|safety numbers?|veiligheidsnummers?|qr ?code|devices?|toestel\w*|"
    r"battery|batterij|google play|fcm|push|usernames?|gebruikersnaam|sync\w*|omemo|onion|forks?|clients?|e2e"
)
# Two apps set against each other outright: a comparison, whatever else the words say.
OUTRIGHT_COMPARE = _cue(
    r"(?:beter|slechter|veiliger|onveiliger|privacyvriendelijker|better|worse|safer|less safe|more (?:secure|private|trustworthy)|less (?:secure|private)) (?:\w+ ){0,3}(?:dan|than)|"
    r"vs\.?|versus|vergelijk\w*|compare[ds]?|comparing|comparison|verschil\w*|differences?|differ|different from|anders dan"
)
# Asking how to use the bot itself ("a list of bot commands", "what the bot can do"): help, even with a criteria word.
BOT_USAGE = _cue(r"(?:bot |recbot )?commands|commando'?s|what (?:the |this )?bot can (?:do|answer)|what (?:\w+ ){0,3}can (?:i|we) ask")
# "Why is X not (or no longer) on the list?": about X's caveats, or about the criteria.
WHY_NOT_LISTED = _cue(
    r"waarom (?:staat|staan|zit|zitten) (?:\w+ ){0,3}(?:niet|er niet)|why (?:isn'?t|is not|aren'?t|isnt) (?:\w+ ){0,2}(?:on|in) (?:the |your )?list|"
    r"why (?:did|does|do) (?:\w+ ){0,3}(?:drop|remove|exclude)\w*|(?:waarom|wrm) (?:\w+ ){0,3}(?:verwijderd|geschrapt|weggehaald|eruit gegooid|eruit gehaald)"
)
ADDRESSED_TO_OTHERS = _cue(
    r"(?:weet|heeft|kan|wil|gaat|is) (?:er )?iemand|iemand (?:een )?idee|does anyone|anyone (?:know|have|got|else|here)|"
    r"has anyone|can someone|is anyone|somebody know|jullie allemaal|hey (?:guys|all|allemaal)|"
    r"any(?:one|body) (?:\w+ )?(?:using|tried|use|uses)|iemand (?:\w+ )?(?:ervaring|gebruikt)"
)
# How-to and troubleshooting about an app: recbot does not do app support, it points to the
# app's own documentation. Trouble counts when the asker speaks about themselves ("my", "I").
SUPPORT_TROUBLE = _cue(
    r"not working|(?:doesn'?t|does not|don'?t|do not|didn'?t|did not|won'?t|will not|isn'?t|is not|stopped|stops) (?:\w+ )?(?:work\w*|open\w*|start\w*|load\w*|send\w*|deliver\w*|connect\w*|sync\w*|arriv\w*|show\w*|ring\w*|receiv\w*|notif\w*|get through|go through)|"
    r"(?:can'?t|cannot|can not|unable to|could ?n[o']t|couldnt|cant) (?:\w+ ){0,2}(?:use it|send|receive|log|sign|register|connect|link|restore|recover|find|see|get|open|install|verify|make|call|add|delete|remove|change|update|download|upload|back ?up|backup|transfer|sync|join|leave|hear|read|access|activate|export|import|scan|pair)|"
    r"(?:i|we) (?:still )?(?:can'?t|cannot|can not|am unable to|are unable to) (?:\w+ )?use|"  # "I can't use threema web": one's own trouble
    r"(?:waarom|wrm) (?:\w+ ){0,2}(?:krijg|ontvang|zie|hoor) ik (?:\w+ )?(?:geen|niet|nooit)|why (?:don'?t|do not|can'?t|won'?t|doesn'?t) (?:i|my phone) (?:\w+ )?(?:get|receive|see|hear|ring)|"
    r"error message|crash\w*|bugg?y|glitch\w*|freez\w*|frozen|stuck|keeps? (?:on )?(?:crashing|freezing|closing|disconnecting|logging|asking|saying|failing|loading|restarting|stopping|showing|buffering|reconnecting|spinning)|lost (?:my|all|our)|are gone|is gone|went missing|disappear\w*|vanish\w*|"
    r"not (?:receiving|sending|delivered|delivering|syncing|loading|connecting|showing|arriving|ringing|decrypt\w*)|unable to decrypt|waiting for (?:this )?message|"
    r"after (?:restoring|updating|reinstalling|the update|an update|upgrading|switching|resetting|factory)|troubleshoot\w*|since (?:the|an|last|latest) (?:\w+ )?update|sinds (?:de|het|een|die) (?:\w+ )?update|"
    r"verification code|sms code|registration (?:lock|code)|safety number (?:has )?changed|"
    r"(?:werkt|werken) (?:\w+ )?niet(?! op| met| zonder)|doe[tn] het niet|"
    r"kan (?:\w+ ){0,3}(?:niet|geen) (?:\w+ ){0,3}(?:versturen|sturen|ontvangen|inloggen|openen|bellen|verbinden|koppelen|vinden|zien|installeren|updaten|lezen|terugzetten)|lukt (?:\w+ ){0,2}niet|foutmelding\w*|loopt vast|vastgelopen|hangt|kapot|kwijt|verdwenen|komen niet (?:aan|binnen)|"
    r"na (?:het )?(?:herstellen|terugzetten|updaten|update|herinstalleren|wisselen|resetten)|verificatiecode|sms-?code"
)
# Trouble that is support only when the asker speaks of their own: "I have a problem with Signal".
SUPPORT_OWN_TROUBLE = _cue(r"(?:problem|issue|trouble)s? (?:with|when|since|after)|errors?|broken|probleem met|problemen met|fout|storing")
# What one does with an app, in "how do I <verb>" and "is there a way to <verb>".
_HOWTO_VERBS = (
    r"(?:back ?up|backup|restore|recover|link|unlink|transfer|move|export|import|delete|remove|change|set ?up|setup|install|uninstall|reinstall|update|upgrade|"
    r"verify|enable|disable|turn (?:on|off)|switch (?:on|off)|reset|add|block|unblock|mute|unmute|sync|register|log ?in|log ?out|sign ?in|sign ?out|migrate|connect|pair|"
    r"create|edit|invite|join|leave|activate|deactivate|configure|get rid|fix|report|archive|pin|schedule|forward|recall|unsend|scan|run|start|host|"
    r"lock|unlock|recover|mute|wipe|change|set|(?:get|make) (?:\w+ ){0,2}(?:working|to work)|"
    r"use (?:\w+ ){0,2}(?:in a way|so that|such that|safely|securely|properly|correctly|without leaking))"
)
SUPPORT_HOWTO = _cue(
    r"(?:how (?:do|can|should|would|could|will) (?:i|we|you|one)|how to|how i can|where (?:do|can) i) (?:\w+ ){0,3}?" + _HOWTO_VERBS + "|"
    r"hoe (?:verander|wijzig|reset|herstel|verwijder|exporteer|importeer|activeer|deactiveer|blokkeer|ontgrendel|vergrendel|installeer|koppel|ontkoppel|registreer) (?:ik|je|we|jij|men)|"
    r"hoe (?:kan|moet|zet|stel|maak|koppel|herstel|verwijder|wijzig|installeer|exporteer|importeer|activeer|blokkeer|krijg|zorg|voeg|doe|deel|stuur|verander) (?:ik|je|we|jij|men) (?:[\w-]+ ){0,4}?"
    r"(?:back-?up\w*|terug\w*|herstel\w*|koppel\w*|ontkoppel\w*|overzetten|over|verwijder\w*|wijzig\w*|veranderen|instell\w*|in|installer\w*|bijwerken|updaten|verifi\w*|"
    r"aan|uit|inschakelen|uitschakelen|reset\w*|toevoegen|toe|blokkeren|dempen|synchronis\w*|registreren|inloggen|uitloggen|aanmelden|afmelden|verbinden|aanmaken|"
    r"uitnodigen|verlaten|bewerken|hosten|draaien|werkend|weg|vinden|exporteren|importeren|verplaatsen|activeren)|"
    r"waar (?:zet|stel) ik|in (?:de|the) (?:instellingen|settings)|hoe fix ik|how (?:do i |can i |to )?fix|any (?:settings?|way) to fix"
)
# Operating an app: with "I"/"my" or a how/what-to-do question, this is app support.
SUPPORT_TOPIC = _cue(
    r"back-?ups?|backed up|back up|restor\w*|reinstall\w*|re-?regist\w*|log ?in|login|log back|logged out|sign ?in|qr ?code|pair\w*|"
    r"linked devices?|link(?:ed|ing)? (?:a |the |my |to )?(?:new )?(?:device|desktop|phone|computer|laptop)|unlink\w*|koppel\w*|"
    r"safety numbers?|veiligheidsnummers?|recovery (?:phrase|key|code)|seed phrase|herstelzin|security key|database password|"
    r"passwords?|wachtwoord|passphrase|pincode|pin|verif(?:y|ied|ication|ieer\w*)|configur\w*|config|debug\w*|sliding sync|"
    r"server (?:not supported|settings)|notificati\w*|notifications?|meldingen|push|sync\w*|keychain|root access|orbot|proxy|"
    r"battery|batterij|database|exporte?\w*|importe?\w*|migrat\w*|transfer\w*|overzetten|new (?:phone|device|iphone|android|laptop)|"
    r"nieuwe (?:telefoon|toestel)|old (?:phone|device|number)|oude (?:telefoon|nummer)|lost (?:access|my|all)|get (?:it|them|my \w+) back|"
    r"terugkrijgen|terug krijgen|kwijt|unable to decrypt|delivery|never (?:reach|arrive)|arriv\w*|komen niet|(?:add|toevoegen|voeg) (?:\w+ ){0,2}(?:contact|contacts|iemand|someone|user|users)|other device|another device|ander (?:apparaat|toestel)|same time|tegelijk\w*|"
    r"contact toevoegen|set (?:a |my )?(?:username|pin|password)|instellen|settings?|instellingen|fcm|google play services|"
    r"desktop (?:app|client)|desktop koppelen|username / password|invalid|says|geeft steeds|it says|komen pas|arrive late|delayed|vertraagd|"
    r"drain\w*|leeg|ontvang\w*|receiv\w*|beta|compatib\w*|\d+\.\d+(?:\.\d+)?|root|option|optie"
)
SUPPORT_ASK = _cue(
    r"how (?:do|can|to|would|should|could) (?:i|we|you)|how to|hoe (?:doe|kan|moet|krijg|zet|voeg|fix|verifieer|werkt) \w*|"
    r"what (?:can|should|do) (?:i|we) do|what to do|wat nu|wat moet ik|any ideas?|iemand een idee|cause|solution|oplossing|workaround|"
    r"is there (?:any |a |an )?(?:way|process|method|possibility|option|solution|chance)|is it possible|can i|could i|do i (?:have|need) to|"
    r"should i|will it|kan ik|moet ik|hoe fix|how (?:can i )?fix|fix it|fix this|help|hulp|stap voor stap|step by step|"
    r"(?:resolve|solve|fix|oplossen) (?:this|the|my|it|dit|het)(?: \w+)?|possibility|mogelijkheid|"
    r"supposed to|is (?:it|this|that) normal|ever result|would it be possible|zou het kunnen|"
    r"am i (?:missing|doing)|what am i doing wrong|is this (?:a bug|normal|expected)|why (?:does|doesn'?t|won'?t|can'?t|is|are) (?:it|my|the app|this)"
)
# Messages to an app's developers (feature requests, plans): not questions for recbot.
FEATURE_REQUEST = _cue(
    r"(?:it )?would be (?:so )?(?:nice|great|good|cool|awesome|convenient|helpful|useful)(?! to (?:know|understand|learn|hear))|it will be (?:nice|great)|(?:it|that)'?d be (?:nice|great|cool)|"
    r"(?:why are|are) you (?:saying|telling)|you (?:said|say) (?:you|that)|would (?:probably )?be a good idea|could be added|be added to|"
    r"(?:any )?reason to use (?:this|it) over|(?:use|using|choose|pick) (?:this|it) (?:over|instead of|rather than)|"
    r"please (?:add|make|implement|consider|support|include)|(?:could|can|would) you (?:please )?(?:add|suggest|implement|support|include)|"
    r"is it possible to (?:support|add|implement)|let'?s make|is this app going to|when is it going to|"
    r"feature request|pull request|are you still|maintainer|contribut\w*|"
    # addressed to the developers or the list's maintainers: plans, a roadmap, when to expect, a suggestion to add
    r"roadmap|priority list|(?:is there|are there|any|where is|where's) (?:a |an |the |any )?(?:to-?do list|todo list|issue tracker|bug tracker|changelog)|"
    r"when (?:can|will|should|could) (?:we|the community|users|people|i) expect|reason (?:for|behind) not (?:implementing|adding|supporting|using)|"
    r"has the (?:position|decision|stance) been|(?:suggest|propose|request) (?:adding|including|listing|removing)|(?:stop|quit) recommending|what can be done here|"
    r"(?:i|we) (?:would|'d) (?:like|love) (?:to see|it if)|graag zien|zou (?:mooi|fijn|handig) zijn|kunnen jullie .* toevoegen"
)
# "What if I forget my password?": a question about the app's risks, not a request for help.
HYPOTHETICAL = _cue(r"what if|what happens (?:if|when)|wat als|wat gebeurt er (?:als|wanneer)|stel dat|suppose|in case|mocht ik|als ik (?:\w+ ){0,4}(?:kwijt|verlies|vergeet)")
MOVE_TO = re.compile(r"(?:from|van|transfer\w*|move|moving|migrat\w*|import\w*|overzet\w*|verhuiz\w*) .+? (?:to|naar|into) ")
FIRST_PERSON = _cue(r"i|i'm|im|i've|my|me|mine|we|our|us|ik|mijn|me|mij|we|wij|ons|onze")
# Yes/no questions: the answer starts with yes or no.
YES_NO_START = {
    "is", "are", "does", "do", "did", "has", "have", "can", "could", "will", "would", "should", "was", "were",
    "heeft", "hebben", "zijn", "kan", "kun", "kunnen", "werkt", "werken", "ondersteunt", "gebruikt", "biedt",
    "zit", "klopt", "moet", "vraagt", "toont", "laat", "deelt", "doet", "wordt", "worden", "hoeft", "slaat", "bewaart",
}
WH_WORDS = {"which", "what", "whats", "how", "why", "where", "who", "welke", "welk", "wat", "hoe", "waarom", "waar", "wie"}
# Messaging products this knowledge may not have: named, they are an unknown product (unless
# the pack has them, which the index finds first). Ambiguous words count only capitalised.
OTHER_MESSENGERS = _cue(
    r"whats ?app|telegram|threema|viber|imessage|facebook messenger|fb messenger|messenger lite|instagram|discord|wickr|"
    r"jami|xmpp|jabber|kik|wechat|weixin|skype|snapchat|keybase|olvid|cwtch|berty|ricochet|nostr|mattermost|zulip|qtox|"
    r"gajim|monal|pidgin|rocket\.?chat|revolt|guilded|hangouts|google chat|google messages|allo|duo|teamspeak|mumble|"
    r"icq|bbm|kakao ?talk|line messenger|deltachat|delta chat|chatsecure|zangi|confide|dust|silence|wire messenger|"
    r"conversations app|quicksy|linphone|matrix\.org|nheko|fluffychat|cinny|schildichat|fractal|beeper|"
    r"gb ?whatsapp|whatsapp ?(?:plus|gold|mod)|telegram ?x|nekogram|plus messenger|signal ?(?:fork|mod)"
)
AMBIGUOUS_MESSENGERS = re.compile(r"(?<![\w-])(?:Wire|Line|LINE|Tox|Ring|Status|Teams|Slack|Zoom|Conversations|Dino|Delta|Element X|Messenger)(?![\w-])")
MOD_WORDS = {"mod", "modded", "modified", "gb", "plus", "gold", "aero", "fm", "yo", "patched", "cracked", "unofficial", "fake", "clone"}
# Places a product name stands in a question: "is X safe", "X or Signal", "what about X".
_SLOT_PREDICATE = (
    r"(?:safe|secure|private|good|legit|ok|okay|trustworthy|trusted|encrypted|e2ee|end|recommended|listed|better|worse|any good|still|"
    r"really|open|anonymous|veilig|goed|betrouwbaar|prive|versleuteld|beter|slechter|aanbevolen|anoniem|oke)"
)
_SLOT_PATTERNS = (
    re.compile(rf"^(?:so |and |but |en |maar )?(?:is|are|was|zijn|is het) (?P<x>[\w.+-]+(?: [\w.+-]+)?) {_SLOT_PREDICATE}\b"),
    re.compile(r"^(?:so |and |but |en |maar )?(?:does|do|did|has|can|will|heeft|kan|werkt|gebruikt|ondersteunt|biedt|slaat|bewaart|deelt|verzamelt) "
               r"(?P<x>[\w.+-]+(?: [\w.+-]+)?) (?:have|has|support|use|need|require|work|offer|show|leak|collect|share|store|log|protect|hide|encrypt|"
               r"sell|track|spy|read|see|keep|scan|heeft|hebben|ondersteunen|gebruiken|werken|nodig|lekt|verzamelt|deelt|bewaart|versleutelt|ook)\b"),
    re.compile(r"(?:what|how) about (?P<x>[\w.+-]+)|(?:thoughts|opinion|opinions|views|take) (?:on|of|about) (?P<x2>[\w.+-]+)|"
               r"(?:heard|think|thinking) (?:of|about) (?P<x3>[\w.+-]+)|(?:vind|denk) (?:je|jij|jullie|u) (?:\w+ )?van (?P<x4>[\w.+-]+)|"
               r"hoe zit het met (?P<x5>[\w.+-]+)|(?:ken|ken je|kent u) (?P<x6>[\w.+-]+)|wat is (?P<x7>[\w.+-]+)|what is (?P<x8>[\w.+-]+)"),
    re.compile(r"why (?:isn'?t|is not|isnt|aren'?t|no|not) (?P<x>[\w.+-]+)|why (?:is|are) (?P<x2>[\w.+-]+) not|waarom (?:staat|zit|is) (?P<x3>[\w.+-]+) (?:er )?niet|"
               r"waarom (?:geen|niet) (?P<x4>[\w.+-]+)"),
    re.compile(r"(?P<x>[\w.+-]+) (?:app|messenger|chat app)\b"),
    re.compile(r"^(?P<x>[\w.+-]+) is an? (?:\w+ ){0,3}(?:app|messenger|messaging app|chat app|client|alternative)\b"),
)
_SLOT_NEEDS_CAPITAL = {2, 4, 5}  # "what about it", "the new app": only a capitalised word names a product there
MESSENGER_WORDS = _cue(r"messengers?|chat\w*|berichten\w*|messaging|instant messag\w*|whatsapp|telegram|sms")
# Other topics a privacy community talks about, which this bot does not know.
OFF_TOPIC = _cue(
    r"browsers?|vpns?|dns|resolvers?|e-?mail\w*|mail|mailbox|password ?managers?|wachtwoord\w*|passwords?|"
    r"zoekmachine\w*|search ?engines?|besturingssysteem\w*|operating systems?|os|router\w*|firewall\w*|antivirus|"
    r"cloud\w*|opslag|storage|backup ?dienst|notities|notes|agenda|calendar|foto'?s?|photos?|vps|hosting|domein\w*|"
    r"crypto\w*|bitcoin|monero|wallet\w*|2fa|authenticator\w*|totp|yubikey|sleutelhanger|"
    r"diner|dinner|lunch|ontbijt|breakfast|eten|food|weer|weather|pizza|voetbal|football|film|movie|muziek|music|"
    r"vakantie|holiday|werk|job|school|huiswerk|homework|auto|car|tv|netflix|game\w*|spel\w*|"
    r"smart ?tv|smartwatch|laptops? kopen|telefoon kopen|buy a phone|kopen|buy|"
    r"(?:budget|cheap|cheapest|affordable|goedkope?|goedkoopste|best|beste|good|goede) (?:\w+ )?(?:android |ios )?(?:phones?|telefoons?|smartphones?|tablets?|laptops?)(?! apps?\b)|\w*mail\w*|printers?|scanners?|"
    r"linear|programming|programmeren|math\w*|wiskunde|tuin|garden|brambles|doornstruik\w*|fysio\w*|dokter|doctor|bank\w*|"
    r"therap\w*|website|webshop|ad ?blockers?|harde schijf|hard ?drives?|schijf|disks?|usb|police|politie|chemis\w*|periodic table|"
    r"distro\w*|distributie\w*|distribution\w*|"
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
    # number words ("three different trackers" is no "Threema")
    "three", "thirty", "thirteen", "twelve", "twenty", "seven", "eleven", "drie", "dertig", "dertien", "twaalf", "twintig", "zeven", "elf",
}
_CUE_PATTERNS = (HELP_CUES, LIST_CUES, CAVEAT_CUES, CRITERIA_CUES, COMPARE_CUES, CARD_CUES, QUESTION_CUES, DOMAIN_WORDS,
                 OFF_TOPIC, OFF_TOPIC_PRODUCTS, SMALL_TALK, *(p.pattern for p in PROPERTIES), *(s.pattern for s in SITUATIONS))
# Vocabulary the cue patterns already understand is never mistaken for a misspelled name.
KNOWN_WORDS = frozenset(
    _DUTCH | _ENGLISH | LOOKALIKES | {w for p in _CUE_PATTERNS for w in re.findall(r"[a-z]{4,}", p.pattern)}
    | set(re.findall(r"[a-z]{2,}", SMALL_TALK.pattern))
)
# Product names the cue patterns mention are names, not everyday vocabulary, for the index.
PRODUCT_WORDS = frozenset({"whatsapp", "telegram", "threema", "viber", "wickr", "imessage", "discord", "jami", "xmpp", "jabber", "omemo",
                           "deltachat", "qtox", "gajim", "monal", "keybase", "olvid", "kik", "wechat", "skype", "snapchat"})
INDEX_COMMON = KNOWN_WORDS - PRODUCT_WORDS
# A name that is also an everyday word counts as the app only in the app's sense.
COMMON_WORD_NAMES = {
    "signal", "session", "element", "briar", "molly", "matrix", "simplex", "riot", "wire", "ring", "status", "line",
    "dino", "conversations", "toxic", "delta", "silence", "session's", "jami",
}
_DETERMINERS = {
    "a", "an", "the", "any", "this", "that", "one", "every", "each", "good", "bad", "een", "de", "het", "deze", "dit",
    "elk", "elke", "goed", "goede", "slecht", "slechte", "weak", "strong", "zwak", "sterk", "weinig", "veel",
    "chemical", "chemisch", "periodic", "therapy", "therapie", "training", "jam", "lange", "long",
    "wifi", "gsm", "cell", "radio", "tv", "mobile", "phone", "telefoon", "phone's", "gps", "4g", "5g", "lte", "traffic", "turn", "stop", "key",
    "zero", "nul", "full", "volle", "enough", "genoeg",
}
# After an everyday name, words that keep the everyday sense ("signal bars", "signal strength").
_EVERYDAY_AFTER = {"bars", "strength", "sterkte", "reception", "ontvangst", "loss", "verlies", "money", "geld", "transfer", "funds"}
# Before "to" and a name, words that make the name a verb ("need to wire money", "want to signal").
_TO_VERB = {"need", "needs", "want", "wants", "have", "has", "had", "going", "able", "try", "trying", "like", "used", "how", "forgot"}
_AUDIENCE = {"users", "gebruikers", "people", "mensen"}  # "for WhatsApp users": whom the advice is for
_ARTICLES = {"that", "this", "the", "dat", "dit", "de", "het"}  # "that briar was distributed, no phone number?"
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
    unknown: tuple[str, ...] = ()  # products named that the knowledge does not know ("Zom")
    other_lang: str = ""  # ISO code when the message is in a language recbot does not answer in
    yes_no: bool = False  # a yes/no question ("Does Session have forward secrecy?")
    situations: tuple[Situation, ...] = ()  # situations described, whose properties were added
    category: str = ""  # page path of the category a list, criteria or filter question is about (category_questions.py)


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


def _entities(words: list[str], index: EntityIndex, normalized: str, strict: bool = True, has_props: bool = False,
              message: str = "") -> list[Mention]:
    """Entry mentions, dropping everyday-word senses ("slecht signaal", "a session with"); a
    name written with a capital inside a sentence ("torn between Wire and Signal") is the app."""
    mentions = [m for m in index.find(words, KNOWN_WORDS)  # "macbook" is no "facebook", "discovered" no "discord"
                if m.exact or not _understood(m.surface) and not _inflected_other_word(m, index)]
    capital = _capitalised(message) if message else set()
    taken = {n for m in mentions for n in range(m.start, m.end)}
    for n, word in enumerate(words):  # "Conversations", "Dino": everyday words the index keeps only for this
        if n not in taken and word in capital and word in index.common_aliases:
            mentions.append(Mention(index.common_aliases[word], n, n + 1, 100.0, word))
    mentions.sort(key=lambda m: m.start)
    if not strict:
        return mentions
    kept: list[Mention] = []
    has_domain = bool(DOMAIN_WORDS.search(normalized)) or len({m.entry_id for m in mentions}) > 1
    for mention in mentions:
        name = mention.surface.split("'")[0]
        if name in capital or mention.start == 0 and _opens_as_topic(message, normalized, mention):
            kept.append(mention)  # "Signal contains trackers?", "element: hoe maak ik ...": the name the message opens with
            continue
        if (name in COMMON_WORD_NAMES or name in index.common_names) and not _app_sense(mention, words, has_domain, has_props):
            continue
        kept.append(mention)
    return kept


def _opens_as_topic(message: str, normalized: str, mention: Mention) -> bool:
    """Does the message open with this name as its topic: a question about it, or the name set
    off by a comma or colon?"""
    text = normalized.lstrip()
    after = text[len(mention.surface) : len(mention.surface) + 1]
    return after in (",", ":") or message.rstrip().endswith("?") and discourse.opens_with_subject(text, len(mention.surface))


_INFLECTIONS = ("ed", "ing", "ly", "ies", "ness", "ers")


def _inflected_other_word(mention: Mention, index: EntityIndex) -> bool:
    """A fuzzy match that ends in an inflection no name of that entry has is another word."""
    ending = next((e for e in _INFLECTIONS if mention.surface.endswith(e)), "")
    return bool(ending) and not any(t.endswith(ending) for t in index.terms_of(mention.entry_id))


def _capitalised(message: str) -> set[str]:
    """Words written with a capital (or in capitals) inside a sentence, normalized."""
    found = set()
    for match in re.finditer(r"(?<=[^\s.!?:\n])\s+([A-Z][\w'-]+)(?:\s+([A-Z][\w'-]*))?", message[:MAX_SCAN]):
        word, following = match.group(1), match.group(2)
        if word.isupper() and len(word) <= 3:
            continue  # "US", "PQ"
        if following and normalize(following) not in _APP_WORDS | {"x", "web", "messenger", "foss", "im", "me"}:
            continue  # "Briar Rose": a person's name
        found.add(normalize(word).split("'")[0])
    return found


MAX_SCAN = 2000
MAX_VAGUE_WORDS = 16  # a message asking no cue we know gets the list only when it is short or not about the asker
# "Does it work without ...?", "Will the app work on ...?": "it" is an app named before this message.
REFERS_BACK = re.compile(r"^(?:\w+ )?(?:does|do|will|would|can|could|is|werkt|kan|is|doet|zal) (?:it|the app|this app|that app|het|de app|deze app|die app|dat) ")


def _app_sense(mention: Mention, words: list[str], has_domain: bool, has_props: bool) -> bool:
    """Is a name that is also an everyday word ("session", "signal") used as the app's name?"""
    before = words[mention.start - 1] if mention.start > 0 else ""
    after = words[mention.end] if mention.end < len(words) else ""
    if after in _EVERYDAY_AFTER or before == "to" and mention.start >= 2 and words[mention.start - 2] in _TO_VERB:
        return False  # "zero signal bars", "I need to wire money"
    if after in _APP_WORDS or before in _APP_WORDS:
        return True
    if before in _DETERMINERS:  # "a session", "het element": the app only among app talk
        return (has_domain or has_props and before in _ARTICLES) and before not in _ADJECTIVES
    text = " ".join(words)
    asks = any(cue.search(text) for cue in (CARD_CUES, CAVEAT_CUES, CRITERIA_CUES, LIST_CUES, SUPPORT_HOWTO, SUPPORT_TROUBLE)) \
        or bool(discourse.howto_verb(text))
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
    "don't", "dont", "doesn't", "doesnt", "isn't", "isnt", "aren't", "didn't", "won't", "can't", "will", "are",
}
_ADJECTIVES = {"goed", "goede", "slecht", "slechte", "weak", "strong", "zwak", "sterk", "weinig", "veel", "good", "bad"}


@functools.lru_cache(maxsize=4096)
def _understood(word: str) -> bool:
    """A word a cue or property pattern reads as it is ("centralized"): never a typo."""
    return any(p.fullmatch(word) for p in _UNDERSTOOD_PATTERNS)


# Read as they are, never corrected (these need not be vocabulary that spelling correction aims at).
_UNDERSTOOD_PATTERNS = (*_CUE_PATTERNS, SUPPORT_TROUBLE, SUPPORT_OWN_TROUBLE, SUPPORT_HOWTO, SUPPORT_TOPIC, SUPPORT_ASK,
                        FEATURE_REQUEST, HYPOTHETICAL, FIRST_PERSON, WHY_NOT_LISTED, ADDRESSED_TO_OTHERS,
                        *discourse.CUES.values())
# Words the support and request cues spell out ("verander", "vergrendel"): read as written, never corrected.
_SUPPORT_WORDS = frozenset(w for p in _UNDERSTOOD_PATTERNS[len(_CUE_PATTERNS):] for w in re.findall(r"[a-z]{5,}", p.pattern))
_VOCABULARY = sorted(w for w in KNOWN_WORDS - LOOKALIKES if len(w) >= 5 and w.isalpha())
# By the length of the word to correct: a ratio of 82 or more needs lengths within a third.
_VOCABULARY_BY_LENGTH = {
    n: [w for w in _VOCABULARY if abs(len(w) - n) * 3 <= n] for n in range(5, 40)
}


MAX_CORRECTED = 10  # unknown words per message tried against the vocabulary


def _correct_spelling(normalized: str, words: list[str], index: EntityIndex) -> tuple[str, list[str]]:
    """Fix typos in the words the cues know ("telefoonummer", "aanbevoelen"), not in names."""
    fixes: dict[str, str] = {}
    tried = 0
    for word in dict.fromkeys(words):
        if len(word) < 5 or word in KNOWN_WORDS or word in _SUPPORT_WORDS or not word.isalpha() or index.is_name(word) or _understood(word):
            continue
        tried += 1
        if tried > MAX_CORRECTED:
            break  # a long message: its first unknown words are enough to read what it asks
        choices = _VOCABULARY_BY_LENGTH.get(len(word), ())
        hit = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=85 if len(word) < 8 else 82)
        if hit is None or hit[0].startswith(word) or word.startswith(hit[0]):
            continue  # "vereist" is not a typo of "vereisten"
        if min(Levenshtein.distance(word, hit[0]), Levenshtein.distance(word.replace("y", "ij"), hit[0])) > (1 if len(word) < 9 else 2):
            continue  # a typo is an edit or two ("vergelyk": y for ij is one), not another word ("thinking" is no "hiking")
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


_NOT_A_NAME = {
    "it", "its", "this", "that", "they", "them", "these", "those", "there", "here", "he", "she", "you", "we", "i", "mine",
    "yours", "ours", "everything", "anything", "something", "nothing", "one", "ones", "all", "any", "each", "both",
    "het", "dit", "dat", "ze", "zij", "die", "deze", "er", "hier", "daar", "hij", "jij", "je", "u", "wij", "alles",
    "iets", "niets", "zo", "so", "then", "now", "nu", "dan", "my", "mijn", "your", "jouw", "our", "onze", "their", "hun",
    "there's", "it's", "that's", "what's", "who", "whom", "whose", "someone", "somebody", "everyone", "people", "mensen",
}
_JOINTS = {"or", "of", "vs", "vs.", "versus", "than", "dan", "against", "tegen", "tegenover", "over", "instead", "to"}
_TWO_WORD_JOINTS = {("and", "not"), ("en", "niet"), ("but", "not"), ("maar", "niet"), ("rather", "than"), ("liever", "dan"), ("in", "plaats")}
_GENERIC_TAIL = {"chat", "messenger", "app", "im", "plus", "x", "pro", "lite", "go", "me"}


def _unknown_products(message: str, normalized: str, words: list[str], mentions: list[Mention],
                      props: tuple[PropertyQuery, ...], index: EntityIndex) -> list[str]:
    """Names of products the knowledge does not know, by where they stand in the question."""
    named = {w for m in mentions for w in words[m.start : m.end]}
    in_props = {w for p in props for w in re.findall(r"[\w.'+-]+", normalized[p.start : p.end])}
    found: list[str] = []

    def add(name: str) -> None:
        name = name.strip(" .,:;!?")
        if name and name.casefold() not in (f.casefold() for f in found):
            found.append(name)

    def unknown(word: str) -> bool:
        return (
            len(word) >= 2 and not word.isdigit() and word not in KNOWN_WORDS and word not in _NOT_A_NAME
            and not (len(word) > 5 and word.endswith("ing"))  # "why isn't needing a number ...": a verb, no product
            and word not in named and word not in in_props and not index.is_name(word)
        )

    for match in OTHER_MESSENGERS.finditer(normalized):
        if not set(match.group(0).split()) & named:
            add(_as_written(message, match.group(0)))
    for match in re.finditer(r"(?<![\w.@/-])[a-z]{2,}[A-Z][a-z]\w*|(?<![\w.@/-])[A-Z][a-z]+[A-Z]\w*", message[:MAX_SCAN]):
        word = normalize(match.group(0))  # "LibreSignal", "GBWhatsApp", "textSecure": a brand by its inner capital
        if unknown(word) and not index.named_in_texts.get(word) and word not in named:
            add(match.group(0))
    for match in AMBIGUOUS_MESSENGERS.finditer(message):
        word = normalize(match.group(0))
        before = message[: match.start()].rstrip()
        if word.split()[0] not in named and before and before[-1] not in ".!?":
            add(match.group(0))
    for n, pattern in enumerate(_SLOT_PATTERNS):
        for match in pattern.finditer(normalized):
            x = next((g for g in match.groups() if g), "")
            parts = x.split()
            if not parts or not unknown(parts[0]):
                continue
            name = " ".join(parts if len(parts) > 1 and (unknown(parts[1]) or parts[1] in _GENERIC_TAIL) else parts[:1])
            written = _as_written(message, name)
            if n in _SLOT_NEEDS_CAPITAL and written[:1] == written[:1].lower():
                continue
            add(written)
    for m in mentions:  # "Zom or SimpleX", "Signal vs Zom": compared with a known one
        for x, joint in ((m.start - 2, m.start - 1), (m.end + 1, m.end)):
            if 0 <= x < len(words) and 0 <= joint < len(words) and words[joint] in _JOINTS - {"to", "instead"} and unknown(words[x]):
                written = _as_written(message, words[x])
                if len(words) <= 4 or written[:1] != written[:1].lower():
                    add(written)
    for m in mentions:  # "modded WhatsApp", "GBWhatsApp": another product built on a known one
        before = words[m.start - 1] if m.start > 0 else ""
        after = words[m.end] if m.end < len(words) else ""
        surface = _as_written(message, m.surface)
        if before in MOD_WORDS:
            add(f"{_as_written(message, before)} {surface}")
        elif after in MOD_WORDS:
            add(f"{surface} {_as_written(message, after)}")
        elif not m.exact and any(len(m.surface) - len(t) >= 2 and t in m.surface for t in index.terms_of(m.entry_id)):
            add(surface)
    return found[:3]


def _as_written(message: str, normalized_words: str) -> str:
    """The words as the asker wrote them (their capitals), when they can be found."""
    found = re.search(r"(?<!\w)" + r"\W+".join(map(re.escape, normalized_words.split())) + r"(?!\w)", message, re.IGNORECASE)
    return found.group(0) if found else normalized_words


# Another product named as what the asker leaves or replaces: the question is about ours.
# Words before a product the asker leaves or replaces: "an alternative to X", "stop using X".
PRODUCT_LEFT = _cue(
    r"alternati\w*(?: (?:to|for|voor|van))?|instead of|in plaats van|replace\w*|replacement (?:for|of)|vervang\w*(?: voor| van)?|switch\w* (?:from|away from)|"
    r"leave|leaving|quit|quitting|ditch\w*|stop using|get off|move away from|moving away from|away from|"
    r"as with|like on|zoals (?:bij|met|in)|such as|weg van|af van|wil(?:len)? van|overstappen van|overstap van|stoppen met|verlaten|is on|zit op|zitten op|are on|been on|uses|gebruikt"
)
PRODUCT_AS_CONTEXT = _cue(
    r"alternati\w*|instead of|in plaats van|replace\w*|replacement|vervang\w*|vervanger|switch\w* (?:from|away)|"
    r"to something else|naar iets anders|to another (?:app|messenger|platform|service)|naar een andere (?:app|messenger)|"
    r"(?:leave|leaving|quit|quitting|ditch\w*|stop using|get off|move away from|moving away from|away from)|"
    r"(?:weg van|af van|van \w+ af|overstappen van|overstap van|stoppen met|verlaten)|"
    r"(?:do|does|have|has) any (?:of )?(?:yours|them|these|those)|een van (?:jullie|deze|die)|"
    r"which (?:\w+ )?(?:of yours|of these|do you recommend|would you recommend|should i (?:use|switch|pick|choose))|"
    r"welke (?:\w+ )?(?:van jullie|raad je aan|raden jullie aan|moet ik (?:nemen|gebruiken|kiezen))"
)


SHOULD_USE = re.compile(r"(?:should|shall|can|could) (?:i|we) (?:still |really |just )?(?:use|try|install|trust|keep|delete|pick|choose|switch to|go with)\s+$|"
                        r"(?:moet|kan|zal) (?:ik|we) (?:nog |echt )?$|(?:is|are) (?:\w+ )?(?:it|this) (?:ok|okay|fine|safe) to use\s+$")


# "Telegram has a web version, do any of yours?": the app named is the comparison, ours are asked about.
PRODUCTS_OF_YOURS = _cue(r"(?:do|does|have|has|can) any (?:of )?(?:yours|them|these|those|your \w+)|een van (?:jullie|deze|die)|heeft een van")


def _context_mentions(mentions: list[Mention], normalized: str, words: list[str], kb: KnowledgeBase,
                      cues_found: bool) -> list[Mention]:
    """Drop entries named only as context: what the asker leaves or replaces ("an alternative
    to WhatsApp"), and apps Privacy Guides does not recommend when they stand outside the
    clause that asks, or in a message that asks nothing."""
    if not mentions:
        return mentions
    # (not the verb a yes/no question opens with: "gebruikt WhatsApp end-to-end encryptie?" is about WhatsApp)
    left = [m.end() for m in PRODUCT_LEFT.finditer(normalized) if m.start() > 0 or not _is_yes_no(words)]
    left_for_else = [m.span(m.lastindex or 1) for m in FROM_X_TO_ELSE.finditer(normalized)]
    left += [start for start, _ in left_for_else]  # "from Discord to something else"
    replaced = bool(PRODUCTS_OF_YOURS.search(normalized))
    # "telegram vs whatsapp vs signal, welke wint": names set against each other are the question
    clauses = None if _set_against(mentions, words) else _asking_clause(normalized)
    kept = []
    for mention in mentions:
        at = _offset(normalized, words, mention.start)
        entry = kb.get(mention.entry_id)
        not_listed = entry is not None and entry.current_status == "not_listed"
        if not_listed and (replaced or any(0 <= at - end <= 4 for end in left)):
            continue
        if any(a <= at < b for a, b in left_for_else):
            continue  # leaving it for something else: the question is which
        if SHOULD_USE.search(normalized[max(0, at - 40) : at]):
            kept.append(mention)  # "should I use Telegram?": a question about that app
            continue
        if not_listed and clauses is not None and not (clauses[0] <= at < clauses[1]) and _asks_for_picks(normalized[clauses[0] : clauses[1]]):
            continue
        if not_listed and not cues_found and len(words) > 4:
            continue  # "haha die van WhatsApp was hilarisch": chatter, not a question
        kept.append(mention)
    return kept


_WHICH_CLAUSE = re.compile(r"(?:^|[.,;:!?]\s*|\b(?:but|and|so|maar|en|dus|or|of)\s+)(?:which|what|welke|wat)\b")
_WH_CLAUSE = re.compile(r"(?:^|[.,;:!?]\s*|\b(?:but|and|so|maar|en|dus)\s+)(?:what|which|how|why|wat|welke|hoe|waarom)\b")


def _asked_first(ids: tuple[str, ...], mentions: list[Mention], normalized: str, words: list[str]) -> tuple[str, ...]:
    """The entries named in the clause that asks come first ("I know WhatsApp's icon, but what is Signal's?")."""
    if len(ids) < 2:
        return ids
    opened = [m.start() for m in _WH_CLAUSE.finditer(normalized)]
    if not opened:
        return ids
    asked = [m.entry_id for m in mentions if _offset(normalized, words, m.start) >= opened[-1]]
    return tuple(_unique([*asked, *ids])) if asked else ids


def _verb_first_clause(normalized: str) -> bool:
    """Does a clause after the first open with a verb, as a yes/no question does ("telegram's
    secret chats, are they really encrypted")?"""
    clauses = re.split(r"[,;:]\s*", normalized[:MAX_SCAN])[1:]
    return any(_is_yes_no(tokens(c)[:4]) for c in clauses if len(tokens(c)) >= 3)


def _named_as_likeness(normalized: str, words: list[str], mention: Mention) -> bool:
    start = _offset(normalized, words, mention.start)
    end = _offset(normalized, words, mention.end - 1) + len(words[mention.end - 1])
    return start >= 0 and discourse.named_as_likeness(normalized, start, end)


def _leaves_one_for_another(mentions: list[Mention], normalized: str, words: list[str], left: tuple[int, int]) -> bool:
    """Is one entry named in the span left and another named after it?"""
    at = [_offset(normalized, words, m.start) for m in mentions]
    inside = {m.entry_id for m, a in zip(mentions, at) if left[0] <= a < left[1]}
    after = {m.entry_id for m, a in zip(mentions, at) if a >= left[1]}
    return bool(inside and after - inside)


def _joint(a: Mention, b: Mention, words: list[str]) -> bool:
    """Two mentions joined by vs/or/over/than, or set apart by "and not", "rather than"."""
    between = tuple(words[a.end : b.start])
    return len(between) == 1 and between[0] in _JOINTS - {"to"} or between in _TWO_WORD_JOINTS


def _set_against(mentions: list[Mention], words: list[str]) -> bool:
    """Two different entries written side by side or joined by vs/or/over/than."""
    for a, b in zip(mentions, mentions[1:]):
        if a.entry_id != b.entry_id and (b.start == a.end or _joint(a, b, words)):
            return True
    return False


FROM_X_TO_ELSE = re.compile(r"(?:from|van) ([\w.-]+(?: [\w.-]+)?) (?:to|naar) (?:something|iets|another|een ander|an alternative|een alternatief)"
                            r"|(?:van|get off|away from) ([\w.-]+(?: [\w.-]+)?) (?:af|weg|for good|once and for all)\b")
CLIENT_OF_CUE = _cue(r"(?:is there|are there|any|een|an?|another|other|andere|alternative|alternatieve|hardened|third[ -]party) (?:\w+ ){0,2}(?:clients?|forks?|variants?|versions? of)")
REMOVAL = _cue(r"verwijderd|geschrapt|weggehaald|eruit gegooid|eruit gehaald|removed|dropped|kicked out|taken off")
# A statement naming an app is still for recbot when one of these cues asks something of it
# (a caveat said outright, "Element/Matrix logs IP addresses", is a caveat question in the real sets).
DECLARATIVE_BLOCKERS = ("question", "help", "list", "why_not", "support", "compare", "card", "criteria", "caveats")
DEVELOPERS_PLANS = _cue(r"(?:any|are there (?:any )?|is there (?:any )?a|no) plans? (?:to|for|on)|on the roadmap")
# "Is there a way to disable OTR by default?": a how-to, unless it asks for a property after it ("... without a phone number").
SUPPORT_WAY_TO = _cue(r"is there (?:a|any) way to (?:\w+ ){0,3}?" + _HOWTO_VERBS)
# What an app or its developers should do, said in a statement ("the message should not mention ...",
# "this plugin should just stop ..."); "it should not be trusted" judges the app, a caveat.
PRESCRIBES = _cue(r"(?<!i )(?<!we )(?<!you )(?:should|shouldn'?t|must|mustn'?t|ought to) (?:not |just |also |never |really |simply )*+"
                  r"(?!be |use |trust |avoid |consider |switch |know |stay |keep away|i |we |you |they )[a-z]+")
# The apps named, taken together after them in the question: with two or more named, they are compared.
THESE_APPS = _cue(r"(?:deze|die|beide|allebei|these|those|both|all three|the two) (?:apps|messengers|diensten|services|programmas|programs|options)")
# Announcing that one leaves an app, with no question: "I will delete Signal 'cause it's broken !".
ANNOUNCES_LEAVING = _cue(r"(?:i|we) (?:will|'ll|ll|am going to|'m going to|m going to|are going to|am gonna|'m gonna|m gonna) "
                         r"(?:\w+ )?(?:delete|uninstall|quit|leave|ditch|dump|stop using|drop|remove)")
# Asking the one addressed to talk over an app: "can you respond on tox?", "a conversation with you? Wickr ...".
TALK_OVER = _cue(r"(?:can|could|will|would) (?:you|u) (?:please )?(?:respond|reply|answer|write|talk|chat|text|message|contact|call|reach) (?:me |us )?(?:on|via|over|through)|"
                 r"(?:conversation|chat|talk) with (?:you|u)\b")
POLL_OTHERS = _cue(r"any(?:one|body) (?:\w+ )?(?:using|tried|successfully)|has any(?:one|body) (?:\w+ )?(?:used|tried)")
# Asking which app to use (narrower than the list cues, which also take "options" or "show me").
PICKS = _cue(
    r"which|welke|(?:what|wat) (?:\w+ )?(?:app|apps|messenger|messengers|should|moet|kan)|recommend\w*|aanrad\w*|aanbevel\w*|aanbevolen|"
    r"raad (?:\w+ )?aan|suggest\w*|alternati\w*|should i (?:use|switch|pick|choose)|(?:best|good|safe|secure|goede?|beste|veilige?) (?:\w+ )?(?:app|messenger|option)s?"
)


# "which app would you suggest?": asks recbot for picks, though "would you suggest" reads like a request to developers.
PICKS_REQUESTED = _cue(r"(?:which|what|welke|wat) (?:\w+ ){0,3}(?:would|could|do|can) (?:you|u|jullie) (?:\w+ )?(?:suggest|recommend|advise)")


def _asks_for_picks(clause: str) -> bool:
    """Does this clause ask which app to use (so other apps named elsewhere are context)?"""
    return bool(PICKS.search(clause))


def _asking_clause(normalized: str) -> tuple[int, int] | None:
    """Character span of the clause that asks, when a message has several; else None."""
    spans: list[tuple[int, int]] = []
    for m in re.finditer(r"[^,.;:!?]+", normalized):
        if not m.group(0).strip():
            continue
        if spans and (len(normalized[spans[-1][0] : spans[-1][1]].split()) <= 3 or len(m.group(0).split()) <= 3):
            spans[-1] = (spans[-1][0], m.end())  # "which of WhatsApp, Telegram and Signal ...", "..., but not Threema": one clause
        else:
            spans.append((m.start(), m.end()))
    if len(spans) < 2:
        return None
    asking = [sp for sp in spans if QUESTION_CUES.search(normalized[sp[0] : sp[1]]) or LIST_CUES.search(normalized[sp[0] : sp[1]])]
    return asking[-1] if asking else None


def _only_context(normalized: str, unknown: tuple[str, ...]) -> bool:
    """Is every unknown product only context, outside the clause that asks?"""
    if PRODUCT_AS_CONTEXT.search(normalized):
        return True
    clauses = [c for c in re.split(r"[,.;:!?]+|\b(?:anyway|anyways|maar goed|enfin|so yeah)\b", normalized) if c.strip()]
    asking = [c for c in clauses if QUESTION_CUES.search(c) or LIST_CUES.search(c)]
    if not asking:
        return False  # nothing else asks: the product is the question ("is gbwhatsapp veilig? m'n neef gebruikt dat")
    return len(clauses) > 1 and not any(normalize(u) in asking[-1] for u in unknown)


_COMMAND_IN_TEXT = re.compile(r"(?:^|\s)[!/]([a-z]+)\b")


def _asks_about_a_command(message: str, words: list[str]) -> bool:
    """A question about one of recbot's commands ("how does the !compare command work?")."""
    named = [m.group(1) for m in _COMMAND_IN_TEXT.finditer(normalize(message))]
    commandish = any(w in _COMMAND_WORDS for w in named) or ("command" in words or "commando" in words)
    return commandish and bool(QUESTION_CUES.search(" ".join(words)) or "?" in message)


def _offset(normalized: str, words: list[str], index: int) -> int:
    """Character offset of token ``index`` in the normalized text."""
    pos = 0
    for n, word in enumerate(words):
        found = normalized.find(word, pos)
        if found < 0:
            return -1
        if n == index:
            return found
        pos = found + len(word)
    return -1


def _is_yes_no_about_properties(words: list[str], props: tuple[PropertyQuery, ...], normalized: str = "") -> bool:
    """"Can I use Signal without a phone number?" asks about a property, not for app support
    (unless it also names how the app is run: "without requiring Orbot and root")."""
    if not props or all(p.prop.family in ("data", "platform") for p in props) or not _is_yes_no(words):
        return False
    spans = [(p.start, p.end) for p in props]
    return not any(not any(a <= m.start() < b for a, b in spans) for m in SUPPORT_TOPIC.finditer(normalized))


def _caveats_besides_trouble(normalized: str) -> bool:
    """A caveat cue that is not part of the trouble itself ("werkt niet meer" is trouble, not "niet meer aanbevolen")."""
    trouble = [m.span() for p in (SUPPORT_TROUBLE, SUPPORT_OWN_TROUBLE, SUPPORT_ASK) for m in p.finditer(normalized)]
    return any(not any(a < e and s < b for a, b in trouble) for m in CAVEAT_CUES.finditer(normalized) for s, e in [m.span()])


# "account, email or phone number": a topic word listed with a property is one more such property.
_LISTED_WITH = re.compile(r"\s*(?:,|/|or|of|and|en|nor|noch)\s*(?:(?:an?|een|my|mijn|your|je|jouw) )?")


def _is_yes_no(words: list[str]) -> bool:
    head = [w for w in words[:4] if w not in ("so", "and", "but", "ok", "okay", "en", "maar", "dus", "hey", "hi", "hoi", "recbot")]
    return bool(head) and head[0] in YES_NO_START and not WH_WORDS & set(words[:3])


# The few cues read in languages recbot does not answer in (German, French, Spanish, Italian, Portuguese):
# enough to send the list, a comparison, a card's caveats or the pointer to the app's own help.
FOREIGN_LIST = _cue(
    r"beste[nrs]?|sicherste[nrs]?|empfehl\w*|alternativ\w*|mejor(?:es)?|m[aá]s segur[ao]s?|recomiend\w*|recomend\w*|"
    r"meilleure?s?|plus s[uû]re?s?|recommand\w*|migliori?|pi[uù] sicur[aoie]|consigli\w*|melhor(?:es)?|mais segur[ao]s?"
)
# The superlatives of FOREIGN_LIST that are no Dutch or English word (German nouns are capitalised, so they look like names).
FOREIGN_BEST = _cue(r"sicherste[nrs]?|empfehl\w*|mejor(?:es)?|m[aá]s segur[ao]s?|meilleure?s?|plus s[uû]re?s?|migliori?|pi[uù] sicur[aoie]|melhor(?:es)?|mais segur[ao]s?")
# "Welche Messenger ...", "quelle application ...": which one, in words that are no Dutch or English.
FOREIGN_WHICH = _cue(r"welche[rnms]?|quel(?:le)?s?|cu[aá]l(?:es)?|quali|qual|jakie|kt[oó]ry|hangi")
FOREIGN_COMPARE = _cue(r"unterscheid\w*|unterschied\w*|vergleich\w*|diferencia\w*|différen\w*|differen\w*|diferen\w*|compar\w*|vs\.?|versus|"
                       r"(?:sicherer|besser|schlechter|privater) als|(?:plus s[uû]re?|meilleure?|pire) que|(?:m[aá]s segur[ao]|mejor|peor) que|"
                       r"(?:pi[uù] sicur[aoie]|migliore|peggiore) di|(?:mais segur[ao]|melhor|pior) (?:que|do que)")
FOREIGN_SUPPORT = _cue(
    r"was tun|wie kann ich|wo (?:sehe|finde|kann|[aä]ndere|stelle) ich|o[uù] (?:trouver|puis-je|est-ce que je)|d[oó]nde (?:veo|encuentro|puedo)|dove (?:trovo|posso|vedo)|onde (?:vejo|encontro|posso)|funktioniert (?:\w+ )?nicht|verloren|qu[eé] hago|c[oó]mo (?:puedo|hago)|no funciona|perd[ií]\w*|"
    r"comment (?:faire|puis-je)|ne (?:marche|fonctionne) pas|perdu|come posso|non funziona|pers[oa]|como (?:fa[cç]o|posso)|n[aã]o funciona|perdi\w*"
)
FOREIGN_CAVEATS = _cue(
    r"nicht mehr sicher|unsicher|gef[aä]hrlich|risiken|nachteile|no es seguro|ya no es|riesgos|desventajas|"
    r"n'est plus|pas s[uû]r|risques|inconv[ée]nients|non [eè] (?:pi[uù] )?sicur\w*|rischi|n[aã]o [eé] (?:mais )?segur\w*|riscos|desvantagens|inseguro|unsafe"
)
FOREIGN_DOMAIN = _cue(r"messenger\w*|messaging\w*|mensajer[ií]a|messagerie|messaggistica|mensageiro\w*|apps?|aplicativo|aplicaci[oó]n|applications?|chat\w*")


def _other_language_intent(normalized: str, ids: tuple[str, ...], asks: bool) -> tuple[str, float]:
    """What a message in another language asks, from the few cues read there; a remark sends nothing."""
    if ids and FOREIGN_SUPPORT.search(normalized):
        return "support", 0.6
    if len(ids) >= 2 and FOREIGN_COMPARE.search(normalized):
        return "compare", 0.6
    if (FOREIGN_LIST.search(normalized) and (not ids or re.search(r"alternativ", normalized)) or FOREIGN_WHICH.search(normalized) and not ids) \
            and (ids or FOREIGN_DOMAIN.search(normalized)):
        return "list", 0.6  # "¿Cuál es la app de mensajería más segura?", "alternatives sûres à WhatsApp"
    if ids and FOREIGN_CAVEATS.search(normalized):
        return "caveats", 0.6  # "o aplicativo não é mais seguro": a warning about the app named
    return ("card", 0.6) if ids and asks else ("none", 0.3)  # a remark: nothing to send, the names noted


def _outside_names(words: list[str], mentions) -> str:
    """The message's words without the names it holds (for telling a statement from a topic)."""
    return " ".join(w for i, w in enumerate(words) if not any(m.start <= i < m.end for m in mentions))


def _understand_text(message: str, index: EntityIndex, kb: KnowledgeBase, default_lang: str) -> Understanding:
    normalized = normalize(message)
    words = tokens(normalized)
    guess = detect_language(words, default_lang, index.name_words, message)
    lang = guess.lang
    if not words:
        return Understanding("none", lang, 0.0, normalized=normalized, notes=("empty",))
    if guess.other:
        # lingua's guess counts only when most words are not vocabulary we read ("mesh netwerk?" is Dutch).
        mentions = _entities(words, index, normalized, strict=False)
        named = {w for m in mentions for w in words[m.start : m.end]}
        rest = [w for w in words if w not in named]
        foreign = [w for w in rest if w not in KNOWN_WORDS and w not in _NOT_A_NAME]
        if len(foreign) >= 2 and len(foreign) * 3 >= len(rest) * 2:
            # Named entries get their card in the room's language, after one line on the languages recbot answers in.
            ids = tuple(_unique(m.entry_id for m in mentions))
            intent, confidence = _other_language_intent(normalized, ids, "?" in message or len(words) <= 4)
            if intent == "card":  # a card is about the app named most often, as in Dutch and English
                ids = tuple(sorted(ids, key=lambda i: -sum(m.entry_id == i for m in mentions)))
            return Understanding(intent, lang, confidence, ids, normalized=normalized, notes=("other language",), other_lang=guess.other)
    normalized, words = _correct_spelling(normalized, words, index)

    masked = OFF_TOPIC_PRODUCTS.sub(lambda m: " " * len(m.group(0)), normalized)
    props = tuple(dedupe(_in_question_clauses(find_properties(masked), normalized)))
    implied = find_situations(masked, list(props))
    situations = tuple({situation.id: situation for situation, _ in implied}.values())
    spans = [m.span() for situation in situations for m in situation.pattern.finditer(masked)]
    # Words a situation used ("no smartphone") describe the asker, not a property the app must have.
    # ... unless it is the very property the situation implies ("our government censors": censorship).
    implied_ids = {prop_id for situation in situations for prop_id, _ in situation.implies}
    props = tuple(q for q in props if q.prop.family in ("identity", "platform") and not (q.prop.id == "mobile" and q.negated)
                  or q.prop.id in implied_ids or not any(a <= q.start < b for a, b in spans))
    props = tuple(sorted(props + tuple(q for _, q in implied if q is not None), key=lambda q: q.start))
    members = members_asked(normalized) if any(q.id == "group_limit" for q in props) else None
    if members and members >= 2:  # "een club met 500 leden": groups must hold that many
        props = tuple(PropertyQuery(group_at_least(members), q.negated, q.start, q.end) if q.id == "group_limit" else q
                      for q in props)
    mentions = _entities(words, index, normalized, has_props=bool(props), message=message)
    if situations:  # "where the government blocks WhatsApp": the app named is the situation, not the question
        spans = [m.span() for situation in situations for m in situation.pattern.finditer(masked)]
        mentions = [m for m in mentions if not any(a <= _offset(normalized, words, m.start) < b + 12 for a, b in spans)]
    unknown = tuple(_unknown_products(message, normalized, words, mentions, props, index))
    if unknown:  # "Conversations": not a name of an entry, but the app one entry's texts name
        known = {u: index.named_in_texts.get(normalize(u)) if u[:1].isupper() and len(u) >= 4 else None for u in unknown}
        for name, owner in known.items():
            if owner is not None:
                n = next((i for i, w in enumerate(words) if w == normalize(name)), 0)
                mentions = sorted([*mentions, Mention(owner, n, n + 1, 100.0, normalize(name))], key=lambda m: m.start)
        unknown = tuple(u for u, owner in known.items() if owner is None)
    if unknown:  # "modded WhatsApp" is not WhatsApp
        mentions = [m for m in mentions if not any(normalize(m.surface) in normalize(u) and normalize(u) != normalize(m.surface) for u in unknown)
                    and normalize(m.surface) not in {normalize(u) for u in unknown}]
    # "the discord bot": a bot that lives on that app; "voor whatsapp gebruikers": who it is for
    mentions = [m for m in mentions if not (m.end < len(words) and (
        words[m.end] in ("bot", "bots")
        or words[m.end] in _AUDIENCE and m.start > 0 and words[m.start - 1] in ("for", "voor", "to", "naar", "aan")))]
    asks = "?" in message or _verb_first_clause(normalized) or any(c.search(normalized) for c in (QUESTION_CUES, CARD_CUES, CAVEAT_CUES, COMPARE_CUES, CRITERIA_CUES, LIST_CUES, SUPPORT_HOWTO, SUPPORT_TROUBLE)) \
        or bool(SUPPORT_TOPIC.search(normalized) and FIRST_PERSON.search(normalized))
    # "something like Discord", "discord style": an app named as a likeness is not what is asked about
    mentions = [m for m in mentions if not _named_as_likeness(normalized, words, m)]
    left = discourse.leaves_for(normalized)  # "leaving WhatsApp for Signal, is that safer?": both are the question
    before_context = mentions
    mentions = _context_mentions(mentions, normalized, words, kb, asks or words[0] in _QUESTION_START)
    leaving = left is not None and _leaves_one_for_another(before_context, normalized, words, left)
    if leaving:
        mentions = before_context
    ids = tuple(_unique(m.entry_id for m in mentions))
    counts = {i: sum(m.entry_id == i for m in mentions) for i in ids}
    by_count = tuple(sorted(ids, key=lambda i: -counts[i]))  # a card is about the app named most often; else the first
    asks_client = False
    if len(ids) == 1 and CLIENT_OF_CUE.search(normalized):  # "a hardened Signal client": the alternative clients of it
        clients = [e.id for e in kb.entries if e.client_of == ids[0]]
        asks_client = bool(clients)
        ids = tuple(_unique([*clients, *ids])) if clients else ids
    if mentions and any(q.id == "identifier" for q in props):  # "Session ID", "Threema-ID": the app's own account ID
        ends = {_offset(normalized, words, m.end - 1) + len(words[m.end - 1]) for m in mentions}
        props = tuple(q for q in props if not (q.id == "identifier" and any(0 <= q.start - e <= 1 for e in ends)))
    yes_no = _is_yes_no(words)
    strength = max((m.score for m in mentions), default=0.0) / 100
    plain = discourse.without_fillers(normalized)  # "wat is er eigenlijk mis met": "wat is er mis met"
    cues = {
        "help": bool(HELP_CUES.search(normalized))
        or bool(HELP_WORDS.search(normalized) and (len(words) <= 4 or not HELP_TO_OTHERS.search(normalized))),
        "list": bool(LIST_CUES.search(normalized)),
        "caveats": bool(CAVEAT_CUES.search(plain)),
        "criteria": bool(CRITERIA_CUES.search(plain)),
        "why_not": bool(WHY_NOT_LISTED.search(plain)),
        "compare": bool(COMPARE_CUES.search(normalized if lang == "nl" else re.sub(r"\bof\b", " ", normalized))),  # "of" is "or" only in Dutch
        "card": bool(CARD_CUES.search(normalized if lang == "nl" else re.sub(r"\bover\b", " ", normalized))),  # "over" is "about" only in Dutch
        "question": bool(QUESTION_CUES.search(normalized)) or "?" in message or words[0] in _QUESTION_START,
        "domain": bool(DOMAIN_WORDS.search(normalized)),
        "support": bool(SUPPORT_HOWTO.search(normalized)) or discourse.operates_app(normalized)
        or any(not any(q.start >= way.start() for q in props) for way in SUPPORT_WAY_TO.finditer(normalized))
        or bool(discourse.howto_verb(normalized))
        or bool(SUPPORT_TOPIC.search(normalized) and (FIRST_PERSON.search(normalized) or SUPPORT_ASK.search(normalized))
                and not _is_yes_no_about_properties(words, props, normalized) and not PICKS.search(normalized)
                and not HYPOTHETICAL.search(normalized) and not _caveats_besides_trouble(normalized)) or (
            bool(SUPPORT_TROUBLE.search(normalized) or SUPPORT_OWN_TROUBLE.search(normalized) and FIRST_PERSON.search(normalized))
            and not _caveats_besides_trouble(normalized)  # "what are the risks if my phone breaks?" asks about caveats
        ),
        "off_topic": bool(OFF_TOPIC_PRODUCTS.search(normalized))
        or any(not any(p.start <= m.start() < p.end or _LISTED_WITH.fullmatch(normalized[m.end() : p.start])
                       or _LISTED_WITH.fullmatch(normalized[p.end : m.start()]) for p in props)
               for m in OFF_TOPIC.finditer(normalized)),
    }
    notes = tuple(k for k, v in cues.items() if v)

    def result(intent: str, confidence: float, entries: tuple[str, ...] = ids) -> Understanding:
        if confidence < CONFIDENT:
            intent = "none"
        return Understanding(intent, lang, min(confidence, 1.0), entries, props, normalized=normalized, notes=notes,
                             unknown=unknown if intent == "none" else (), yes_no=yes_no, situations=situations)

    if unknown and _only_context(normalized, unknown):
        unknown = ()  # "an alternative to WhatsApp", "which one instead of Telegram": context, not the question
    if not ids and "?" in message and (FOREIGN_BEST.search(normalized) or FOREIGN_WHICH.search(normalized)) and FOREIGN_DOMAIN.search(normalized):
        return result("list", 0.6)  # "Welcher Messenger ist am sichersten?": read as Dutch, asks in German for the best
    if unknown and (not ids or cues["compare"] and len(ids) < 2):
        return result("none", 0.3)  # never an answer about something else
    statement = (
        "?" not in message and len(words) > 5 and words[0] not in _QUESTION_START
        and not any(cues[k] for k in ("question", "help", "list", "caveats", "criteria", "why_not", "card", "support", "compare"))
        and not SUPPORT_TOPIC.search(normalized) and not implied and not props and lang == "en"
    )
    if statement:
        return result("none", 0.3)  # "GNU/Jami doesn't use Electron!": a remark, not a question
    if (discourse.reads_as_remarks(message, normalized) and not any(cues[k] for k in ("caveats", "support", "help", "why_not"))
            and not any(_is_yes_no(s.split()) for s in re.split(r"[.!;]+\s+", normalized))
            and not OUTRIGHT_COMPARE.search(normalized)):
        return result("none", 0.3)  # "Jami lets you export your ID. Session could have that too.": remarks, no question
    declared = bool(ids) and discourse.declares(message, normalized, _outside_names(words, mentions))  # a statement about a named app: the three rules below read it
    if (declared and lang == "en" and not yes_no and words[0] not in _QUESTION_START
            and not any(cues[k] for k in DECLARATIVE_BLOCKERS) and not OUTRIGHT_COMPARE.search(normalized)):
        return result("none", 0.3)  # "Signal offers no security": a statement about the app, not asked of recbot
    if declared and lang == "en" and PRESCRIBES.search(normalized) and not cues["support"]:
        return result("none", 0.3)  # "the SMS should not mention the app's name": what its developers should do
    if FEATURE_REQUEST.search(normalized) and not SUPPORT_TROUBLE.search(normalized) and not PICKS_REQUESTED.search(normalized):
        return result("none", 0.3)  # "it would be nice if Signal had ...": for the app's developers, not for recbot
    if not ids and DEVELOPERS_PLANS.search(normalized):
        return result("none", 0.3)  # "are there any plans to move towards e2e?": the plans of an app not named here
    if declared and ANNOUNCES_LEAVING.search(normalized):
        return result("none", 0.3)  # "I will delete Signal 'cause it's broken !": an announcement, nothing asked
    if ids and TALK_OVER.search(normalized):
        return result("none", 0.3)  # "can you respond on tox please?": to talk with someone over the app, not about it
    if ids and POLL_OTHERS.search(normalized):
        return result("none", 0.3)  # "Anybody successfully using iMessage?": asks the room, not the bot
    if ids:
        base = 0.55 + 0.4 * strength
        if asks_client:
            return result("card", base)  # its alternative client's card (Molly for Signal)
        if len(ids) == 1 and discourse.compares_with_unnamed(normalized) and not cues["support"]:
            return result("none", 0.3)  # "is this app better than Signal?": about an app not named here
        if leaving and len(ids) >= 2 and not cues["support"]:
            return result("compare", base + 0.05)
        joined = any(_joint(a, b, words) for a, b in zip(mentions, mentions[1:]))
        if len(ids) >= 2 and _set_against(mentions, words) and not cues["support"] and (joined or cues["compare"] or not cues["caveats"]):
            return result("compare", base + 0.05)  # "Riot over Wire", "Wire/Signal instead of Matrix"
        last = max(_offset(normalized, words, m.start) for m in mentions)
        if len(ids) >= 2 and any(t.start() > last for t in THESE_APPS.finditer(normalized)) and not cues["support"]:
            return result("compare", base + 0.05)  # "Signal, Telegram, WhatsApp: how safe are your chats with these apps?"
        if len(ids) >= 2 and (OUTRIGHT_COMPARE.search(normalized) or FOREIGN_COMPARE.search(normalized)) and not cues["support"]:
            return result("compare", base + 0.05)  # "is element beter of slechter dan session": a caveat word inside a comparison
        operating = SUPPORT_TOPIC.search(normalized) and all(p.prop.family == "data" for p in props) and not (
            cues["card"] or cues["caveats"] or cues["criteria"] or cues["list"] or _is_yes_no(words) or HYPOTHETICAL.search(normalized)
        )
        if cues["support"] or operating:  # "molly notifications without google play services?"
            if len(ids) >= 2 and (moved := MOVE_TO.search(normalized)):
                target = next((m.entry_id for m in mentions if _offset(normalized, words, m.start) >= moved.end() - 1), None)
                ids = tuple(_unique([target, *ids])) if target else ids  # "from Signal to Molly": about Molly
            return result("support", base + 0.05, ids)
        if cues["why_not"]:
            entry = kb.get(ids[0])
            removed = entry is not None and entry.current_status in ("removed", "moved")
            return result("criteria" if removed and REMOVAL.search(normalized) else "caveats", base + 0.1)
        if cues["criteria"] and not cues["compare"] or (cues["criteria"] and len(ids) == 1):
            return result("criteria", base + 0.1)
        if cues["caveats"]:
            return result("caveats", base + 0.1)
        names_only = len(words) - sum(m.end - m.start for m in mentions) <= 2
        if len(ids) >= 2 and (cues["compare"] or names_only) and not (props and not cues["compare"]):
            return result("compare", base + 0.05)
        if props and len(ids) >= 2:
            return result("filter", base)
        if cues["list"] and not cues["card"] and len(words) > 3 and _WHICH_CLAUSE.search(normalized):  # not "users which then can"
            return result("list", base)
        return result("card", base + (0.05 if cues["card"] or len(words) <= 3 else 0), _asked_first(by_count, mentions, normalized, words))

    # No entry named.
    if (ADDRESSED_TO_OTHERS.search(normalized) or message.lstrip().startswith("@")) and not cues["help"]:
        return result("none", 0.2)  # "weet iemand hoe laat de vergadering begint?", "@anna what do you recommend?"
    if _asks_about_a_command(message, words):
        return result("help", 0.85)  # "how does !which work?", "wat doet /vergelijk?"
    if cues["support"] and (cues["domain"] or MESSENGER_WORDS.search(normalized)) and not WH_WORDS & {"which", "welke"} & set(words) \
            and not cues["list"] and not HELP_CUES.search(normalized):
        return result("none", 0.3, ())  # app support, but for no app recbot knows: nothing to point to
    if cues["off_topic"] and not MESSENGER_WORDS.search(normalized) and not (
            HELP_CUES.search(normalized) and {m.group(0) for m in OFF_TOPIC.finditer(normalized)} <= {"werk", "work"}
            and not OFF_TOPIC_PRODUCTS.search(normalized)):
        return result("none", 0.2)  # (but "hoe werk jij" asks the bot about itself, not about work)
    if (cues["criteria"] or cues["why_not"]) and not BOT_USAGE.search(normalized):
        return result("criteria", 0.85)
    if not cues["help"] and discourse.points_without_naming(normalized):
        return result("none", 0.3)  # "is this safe?", "is the video chat encrypted?": about an app not named here
    if cues["list"] and props and all(p.prop.weak for p in props):
        return result("list", 0.8)  # "the best encrypted chat app": encryption is a given
    if yes_no and REFERS_BACK.match(normalized):
        return result("none", 0.3)  # "Does it work without internet?": about an app named earlier, not here
    if props and (cues["question"] or cues["domain"] or situations or len(words) <= 4):
        confidence = 0.8 if not all(p.prop.weak for p in props) else 0.6
        return result("filter", confidence, ())
    if cues["help"] and not (cues["list"] and cues["domain"]):
        return result("help", 0.85)
    if cues["list"] and (cues["domain"] or cues["question"] or len(words) <= 4):
        return result("list", 0.8 if cues["domain"] or cues["question"] else 0.6)
    if cues["domain"] and cues["question"] and not SMALL_TALK.fullmatch(normalized.strip(" ?!.")) and (len(words) <= MAX_VAGUE_WORDS or not FIRST_PERSON.search(normalized)):
        return result("list", 0.55)  # "veilig chatten?"; a long story that asks nothing we know is not a request for our list
    return result("none", 0.1 if SMALL_TALK.search(normalized) else 0.3)
