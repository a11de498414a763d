"""The knowledge model: one shape for every source (curated YAML or an imported page).

Everything here is immutable. ``None`` in a fact always means *unknown* (an imported
page may not say), never *no*: rendering shows "?" and filters never match on it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Literal

LANGS: tuple[str, ...] = ("nl", "en")
#: The languages Privacy Guides publishes (English is the reference). ``Text`` takes any code;
#: ``LANGS`` stays the bot's own reply languages until the replies are written in more.
SITE_LANGS: tuple[str, ...] = ("en", "es", "fr", "he", "it", "nl", "ru", "zh-Hant", "zh-TW")
#: Languages to try before English when a text lacks the one asked for.
RELATED_LANGS: dict[str, tuple[str, ...]] = {"zh-TW": ("zh-Hant",), "zh-Hant": ("zh-TW",)}
#: The page the bundled pack describes; its entries are the only ones with messenger ``Facts``.
MESSENGER_CATEGORY = "real-time-communication"

Tier = Literal["recommended", "additional", "not_listed"]
Status = Literal["recommended", "additional", "removed", "moved", "not_listed"]
ForwardSecrecy = Literal["yes", "no", "partial"]
Network = Literal["centralized", "federated", "p2p", "decentralized"]

#: ``not_listed``: an app Privacy Guides does not recommend (and never listed); curated by us
#: so questions about it get an honest answer. Never part of the recommendations.
TIERS: tuple[str, ...] = ("recommended", "additional", "not_listed")
STATUSES: tuple[str, ...] = ("recommended", "additional", "removed", "moved", "not_listed")
FORWARD_SECRECY: tuple[str, ...] = ("yes", "no", "partial")
NETWORKS: tuple[str, ...] = ("centralized", "federated", "p2p", "decentralized")
PLATFORMS: tuple[str, ...] = ("android", "ios", "windows", "macos", "linux", "web")
IDENTIFIERS: tuple[str, ...] = ("phone", "email", "username")
ROUTING: tuple[str, ...] = ("tor", "onion")
METADATA: tuple[str, ...] = (
    "sealed_sender",
    "private_groups",
    "encrypted_contacts",
    "encrypted_profiles",
    "no_identifiers",
    "onion_routing",
)
LINK_KINDS: tuple[str, ...] = (
    "homepage",
    "repository",
    "privacy_policy",
    "documentation",
    "source",
    "donate",
)
CRITERION_LEVELS: tuple[str, ...] = ("minimum", "best")


@dataclass(frozen=True)
class Text:
    """A text in one or more languages; ``get`` falls back to any language present."""

    by_lang: dict[str, str] = field(default_factory=dict)

    def get(self, lang: str) -> str:
        if self.by_lang.get(lang):
            return self.by_lang[lang]
        for other in (*RELATED_LANGS.get(lang, ()), "en", *LANGS, *self.by_lang):
            if self.by_lang.get(other):
                return self.by_lang[other]
        return ""

    def __bool__(self) -> bool:
        return any(self.by_lang.values())

    @classmethod
    def of(cls, lang: str, text: str) -> Text:
        return cls({lang: text}) if text else cls()


@dataclass(frozen=True)
class Source:
    """Where knowledge came from: the page, its language and date, and our file."""

    page: str
    url: str
    lang: str
    date: str  # YYYY-MM or YYYY-MM-DD: the state of the page the facts describe
    file: str = ""  # the file (or URL) this was loaded from
    line: int = 0  # line in that file where the item starts


@dataclass(frozen=True)
class Encryption:
    default: bool | None = None  # private chats are end-to-end encrypted by default
    all_messages: bool | None = None  # every kind of message can be end-to-end encrypted
    calls: bool | None = None  # one-to-one calls are end-to-end encrypted


@dataclass(frozen=True)
class Identifiers:
    """Identifiers needed to sign up and identifiers contacts get to see.

    An empty tuple means *none needed*; ``None`` means unknown.
    """

    signup: tuple[str, ...] | None = None
    shared: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Offline:
    wifi: bool | None = None  # talks to nearby devices over Wi-Fi without internet
    bluetooth: bool | None = None
    mesh: bool | None = None  # keeps working without internet access at all


@dataclass(frozen=True)
class Calls:
    voice: bool | None = None
    video: bool | None = None
    group: bool | None = None
    encrypted: bool | None = None  # one-to-one calls
    group_encrypted: bool | None = None


@dataclass(frozen=True)
class OpenSource:
    client: bool | None = None
    server: bool | None = None


@dataclass(frozen=True)
class Audit:
    year: int
    by: str = ""
    scope: Text = field(default_factory=Text)
    url: str = ""
    month: int | None = None


@dataclass(frozen=True)
class Protocol:
    name: str = ""
    spec_url: str = ""


@dataclass(frozen=True)
class Facts:
    e2ee: Encryption = field(default_factory=Encryption)
    forward_secrecy: str | None = None  # one of FORWARD_SECRECY
    network: str | None = None  # one of NETWORKS
    anonymous_routing: tuple[str, ...] | None = None  # of ROUTING; () = none
    identifiers: Identifiers = field(default_factory=Identifiers)
    offline: Offline = field(default_factory=Offline)
    calls: Calls = field(default_factory=Calls)
    group_limit: int | None = None  # largest encrypted group, where there is a limit
    group_limit_note: Text = field(default_factory=Text)
    platforms: tuple[str, ...] = ()  # of PLATFORMS
    metadata: tuple[str, ...] = ()  # of METADATA: protections that hide who talks to whom
    data_transfer: bool | None = None  # account and history can move to another device
    open_source: OpenSource = field(default_factory=OpenSource)
    audits: tuple[Audit, ...] = ()
    protocol: Protocol = field(default_factory=Protocol)


@dataclass(frozen=True)
class Link:
    kind: str  # one of LINK_KINDS
    url: str
    title: str = ""


@dataclass(frozen=True)
class Download:
    channel: str  # e.g. "Google Play", "F-Droid", "Flathub", "GitHub"
    platform: str  # one of PLATFORMS, or "" when the channel spans several
    url: str


@dataclass(frozen=True)
class Update:
    """A dated change to the source page that happened after its snapshot."""

    date: str  # YYYY-MM
    text: Text
    url: str = ""


@dataclass(frozen=True)
class Evidence:
    """Where some of an entry's facts come from, when not from its source page.

    Required for every fact about an app Privacy Guides does not list: the vendor's own
    documentation, an audit or reputable reporting, with the date it was read or published.
    """

    facts: tuple[str, ...]  # fact paths it supports: "forward_secrecy", "identifiers.signup", ...
    url: str
    date: str  # YYYY-MM or YYYY-MM-DD
    lang: str = "en"
    title: str = ""


@dataclass(frozen=True)
class Criterion:
    id: str
    level: str  # "minimum" or "best"
    text: Text
    since: str = ""  # YYYY-MM when added after the source page's date
    source: Source | None = None
    group: Text = field(default_factory=Text)  # the topic sub-heading ("Privacy"), if the page has one
    category: str = ""  # page path of the category it belongs to ("" on single pages)


@dataclass(frozen=True)
class PageWarning:
    """A page-level warning (e.g. on the additional options) attached to entries."""

    id: str
    text: Text
    applies_to: tuple[str, ...] = ()
    source: Source | None = None


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    tier: str  # one of TIERS, as on the source page
    summary: Text
    source: Source
    aliases: tuple[str, ...] = ()
    status: str = ""  # one of STATUSES: the entry's standing today (may differ from tier)
    description: Text = field(default_factory=Text)
    facts: Facts = field(default_factory=Facts)
    links: tuple[Link, ...] = ()
    downloads: tuple[Download, ...] = ()
    caveats: tuple[Text, ...] = ()
    updates: tuple[Update, ...] = ()
    meets: tuple[str, ...] = ()  # criterion ids met
    misses: tuple[str, ...] = ()  # criterion ids missed
    warnings: tuple[str, ...] = ()  # PageWarning ids that apply
    client_of: str = ""  # entry id of the service this is an alternative client for
    evidence: tuple[Evidence, ...] = ()  # per-fact sources (see Evidence)
    category: str = ""  # page path of its category ("vpn", "android/distributions"); "" unknown
    also_on: tuple[str, ...] = ()  # ids of the same product's entries on other pages
    details: Text = field(default_factory=Text)  # what the page's sub-sections under the card state (payments, protocols, …)

    @property
    def has_messenger_facts(self) -> bool:
        """Whether ``facts`` beyond the common ones (see COMMON_FACTS) apply to this entry."""
        return fact_schema(self.category) == "messenger"

    def evidence_for(self, fact: str) -> Evidence | None:
        """The evidence that names ``fact`` (or its parent, e.g. "identifiers" for "identifiers.signup")."""
        parent = fact.split(".")[0]
        for item in self.evidence:
            if fact in item.facts or parent in item.facts:
                return item
        return None

    @property
    def current_status(self) -> str:
        return self.status or self.tier

    def link(self, kind: str) -> str:
        for link in self.links:
            if link.kind == kind:
                return link.url
        return ""


#: Facts every card has, whatever its category: read from its downloads, links and text.
COMMON_FACTS: tuple[str, ...] = ("platforms", "open_source", "audits")


def fact_schema(category: str) -> str:
    """The category-specific facts that apply: "messenger" for the messenger page (and for
    entries of unknown category, which before categories were all messengers), else "" (none:
    only COMMON_FACTS, links, downloads, caveats and the card's text)."""
    return "messenger" if category in ("", MESSENGER_CATEGORY) else ""


@dataclass(frozen=True)
class Category:
    """A recommendation page of the site: what its entries are picks of."""

    path: str  # page path under the docs root without .md ("vpn", "android/distributions")
    title: Text  # the page title per language
    intro: Text = field(default_factory=Text)  # the page's first paragraph per language
    criteria: tuple[str, ...] = ()  # Criterion ids, in page order
    warnings: tuple[str, ...] = ()  # PageWarning ids
    date: str = ""  # YYYY-MM or YYYY-MM-DD: the state of the page
    sources: tuple[Source, ...] = ()  # one per language loaded

    @property
    def fact_schema(self) -> str:
        return fact_schema(self.path)

    def url(self, lang: str) -> str:
        """The page's address in ``lang``, else in English, else any."""
        by_lang = {s.lang: s.url for s in self.sources}
        return by_lang.get(lang) or by_lang.get("en") or next(iter(by_lang.values()), "")


def page_of_url(url: str) -> str:
    """The page path of a Privacy Guides URL (``…/en/android/distributions/#x`` gives
    ``android/distributions``); "" when the URL has no path."""
    path = re.sub(r"^[a-z]+://[^/]*", "", url.split("#", 1)[0].split("?", 1)[0]).strip("/")
    parts = path.split("/")
    if parts and (parts[0] in SITE_LANGS or re.fullmatch(r"[a-z]{2}(?:-[A-Za-z]{2,4})?", parts[0])):
        parts = parts[1:]
    return "/".join(p for p in parts if p)


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    criteria: tuple[Criterion, ...] = ()
    warnings: tuple[PageWarning, ...] = ()
    sources: tuple[Source, ...] = ()
    categories: tuple[Category, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)  # type: ignore[attr-defined]

    def category(self, path: str) -> Category | None:
        return next((c for c in self.categories if c.path == path), None)

    def entries_in(self, path: str) -> list[Entry]:
        return [e for e in self.entries if e.category == path]

    def warnings_for(self, entry: Entry) -> list[PageWarning]:
        return [w for w in self.warnings if w.id in entry.warnings or entry.id in w.applies_to]

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    @cached_property
    def version(self) -> str:
        """A short content hash: equal bases have equal versions, whatever their files
        (hashed once per base: a whole site takes a moment, and a base never changes)."""
        data = {
            "entries": [content_of(e) for e in self.entries],
            "criteria": [content_of(c) for c in self.criteria],
            "warnings": [content_of(w) for w in self.warnings],
        }
        if self.categories:  # only then: bases without categories keep their versions
            data["categories"] = [content_of(c) for c in self.categories]
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def content_of(item: object) -> object:
    """An item's fields (entry, criterion, warning) without where it was loaded from."""
    return _strip_location(asdict(item))  # type: ignore[call-overload]


def _strip_location(value: object) -> object:
    """Drop file/line from nested dicts so the version only depends on content."""
    if isinstance(value, dict):
        return {k: _strip_location(v) for k, v in value.items() if k not in ("file", "line")}
    if isinstance(value, (list, tuple)):
        return [_strip_location(v) for v in value]
    return value


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a knowledge source, located as precisely as we can."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class KnowledgeError(Exception):
    """A source could not be loaded; carries every problem found, each with file and line."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid knowledge")
