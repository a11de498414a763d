"""Load a knowledge base from sources: the bundled pack, YAML, Privacy Guides markdown, URLs.

``load_sources`` is all-or-nothing: it either returns a complete, cross-checked base or raises
KnowledgeError with every problem (file and line). Callers that hold a live base keep it when
this raises, which is what makes a failed refresh harmless.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import json
import ipaddress
import os
import socket
import ssl
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from .model import (
    SITE_LANGS,
    Category,
    Criterion,
    Entry,
    KnowledgeBase,
    KnowledgeError,
    PageWarning,
    Problem,
    Source,
    Text,
)

BUNDLED = "bundled"
BUNDLED_DIR = Path(__file__).parent / "data"
MARKDOWN_SUFFIXES = (".md", ".markdown")
YAML_SUFFIXES = (".yaml", ".yml")

# Limits for sources fetched over http(s): a typo or a hostile server must not hang or flood the bot.
FETCH_TIMEOUT = 20.0  # seconds for the whole fetch, redirects included
FETCH_MAX_BYTES = 2 * 1024 * 1024
#: Size cap of a fetched archive source (the site's GitHub tarballs); knowledge.archive_max_mb.
ARCHIVE_FETCH_MAX_BYTES = 200 * 1024 * 1024
#: Seconds for one whole archive download (knowledge.archive_timeout): the site's 91 MB
#: translations tarball needs ~36 Mbit/s to arrive within FETCH_TIMEOUT, ~2.5 Mbit/s within this.
ARCHIVE_FETCH_TIMEOUT = 300.0
#: Longest validator (ETag, Last-Modified) kept and sent back; a longer one is ignored.
MAX_VALIDATOR_CHARS = 256
#: Marks a source as a GitHub tarball of the site whatever its name ends in
#: (``archive:https://codeload.github.com/privacyguides/i18n/tar.gz/refs/heads/main``).
ARCHIVE_PREFIX = "archive:"
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_USER_AGENT = "recbot (knowledge refresh)"


@dataclasses.dataclass(frozen=True)
class FetchLimits:
    """The bounds of fetching URL sources: ``timeout`` for one whole page fetch, which is also
    the longest an archive download may receive nothing (the stall guard); ``archive_timeout``
    for one whole archive download; ``archive_max_bytes`` for one archive's size."""

    timeout: float = FETCH_TIMEOUT  # knowledge.fetch_timeout
    archive_timeout: float = ARCHIVE_FETCH_TIMEOUT  # knowledge.archive_timeout
    archive_max_bytes: int = ARCHIVE_FETCH_MAX_BYTES  # knowledge.archive_max_mb


@dataclasses.dataclass(frozen=True)
class Validators:
    """What a server said identifies the version it sent (ETag, Last-Modified), sent back as
    If-None-Match / If-Modified-Since so that an unchanged archive is not downloaded again."""

    etag: str = ""
    last_modified: str = ""

    def headers(self) -> dict[str, str]:
        """The conditional request headers these validators make."""
        headers = {"If-None-Match": self.etag} if self.etag else {}
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    @classmethod
    def of(cls, response: http.client.HTTPResponse) -> Validators | None:
        """A response's validators, or None when it has none fit to send back (too long,
        or not printable ASCII)."""
        found = cls(*(_validator(response.getheader(name)) for name in ("ETag", "Last-Modified")))
        return found if found.etag or found.last_modified else None


def _validator(value: str | None) -> str:
    value = (value or "").strip()
    fit = len(value) <= MAX_VALIDATOR_CHARS and all(" " <= ch <= "~" for ch in value)
    return value if fit else ""


def is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme.lower() in ("http", "https")


def public_source(source: str) -> str:
    """A source as people may see it: a URL without user info, query or fragment (they may
    carry credentials); anything else unchanged."""
    if source.startswith(ARCHIVE_PREFIX):
        return ARCHIVE_PREFIX + public_source(source[len(ARCHIVE_PREFIX) :])
    parts = urllib.parse.urlsplit(source)
    if not (parts.scheme and parts.netloc):
        return source
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _addresses(host: str, port: int) -> list[str]:
    """The IP addresses ``host`` resolves to (KnowledgeError if it does not)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _FetchError(f"cannot resolve the host: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def hop_refusal(origin_public: bool, addresses: Sequence[str], host: str) -> str | None:
    """Why a redirect to ``host`` (resolving to ``addresses``) is refused, or None: from a
    public configured URL, every hop must be public too."""
    if origin_public and not all(_is_public(address) for address in addresses):
        return f"redirected from a public host to a private or loopback address ({host})"
    return None


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


class _FetchError(Exception):
    """One fetch failed; the message is safe to show (no URL in it)."""


class _Pinned(http.client.HTTPConnection):
    """An HTTP connection to an address checked beforehand (no second DNS answer)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self.raw: socket.socket | None = None  # kept: http.client drops ``sock`` early

    def connect(self) -> None:
        self.sock = self.raw = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """An HTTPS connection to an address checked beforehand, verified for ``host``."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address
        self.raw: socket.socket | None = None

    def connect(self) -> None:
        self.raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(self.raw, server_hostname=self.host)


def _cut(connection: _Pinned | _PinnedTLS) -> None:
    """Stop a connection that ran past its deadline (wakes a blocked read)."""
    sock = connection.raw
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def fetch_text(url: str, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = FETCH_MAX_BYTES) -> str:
    """Fetch a knowledge source over http(s), within ``timeout`` seconds in all and
    ``max_bytes``. Redirects are followed (at most MAX_REDIRECTS) to http(s) only, each hop
    checked again; when the configured URL's host is public, every hop must be public too
    (no redirect into loopback or private networks). Errors name the URL without secrets."""
    shown = public_source(url)
    chunks: list[bytes] = []
    _fetch_checked(url, chunks.append, timeout, timeout, max_bytes, None)
    try:
        return b"".join(chunks).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KnowledgeError([Problem(shown, 0, f"not UTF-8 text: {exc.reason} at byte {exc.start}")]) from None


@dataclasses.dataclass(frozen=True)
class Download:
    """What :func:`fetch_file` got: a new copy (``modified``) and its validators (None: the
    server gave none), or, not ``modified``, a 304: the copy we have is current."""

    modified: bool
    validators: Validators | None = None


def fetch_file(
    url: str, target: Path, *, limits: FetchLimits = FetchLimits(), validators: Validators | None = None
) -> Download:
    """Fetch a binary source (an archive) into the file ``target`` (owner-only), streamed, with
    the redirect checks of :func:`fetch_text`, within ``limits.archive_timeout`` in all and
    never ``limits.timeout`` without receiving anything, at most ``limits.archive_max_bytes``.
    With ``validators`` (of a copy kept elsewhere) the request is conditional and a 304 means
    nothing is downloaded. On failure, and on a 304, ``target`` is removed."""
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise KnowledgeError([Problem(public_source(url), 0, f"cannot write the download: {exc.strerror}")]) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            found = _fetch_checked(
                url, handle.write, limits.archive_timeout, limits.timeout, limits.archive_max_bytes, validators
            )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if not found.modified:
        target.unlink(missing_ok=True)
    return found


def _fetch_checked(
    url: str,
    sink: Callable[[bytes], object],
    timeout: float,
    stall: float,
    max_bytes: int,
    validators: Validators | None,
) -> Download:
    shown = public_source(url)
    if not is_url(url):
        raise KnowledgeError([Problem(url, 0, "only http and https URLs can be fetched")])
    deadline = time.monotonic() + timeout
    try:
        return _fetch(url, deadline, timeout, stall, max_bytes, sink, validators)
    except _FetchError as exc:
        raise KnowledgeError([Problem(shown, 0, f"cannot fetch: {exc}")]) from None


def _fetch(
    url: str,
    deadline: float,
    timeout: float,
    stall: float,
    max_bytes: int,
    sink: Callable[[bytes], object],
    validators: Validators | None,
) -> Download:
    """One bounded GET of ``url`` into ``sink`` (see :func:`fetch_file`): the socket waits at
    most ``stall`` seconds for any byte, a watchdog cuts the connection at ``deadline``."""
    conditional = validators.headers() if validators is not None else {}
    public_origin: bool | None = None
    for _ in range(MAX_REDIRECTS + 1):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise _FetchError(f"redirected to a URL that is not http(s): {public_source(url)}")
        tls = parts.scheme.lower() == "https"
        try:
            port = parts.port or (443 if tls else 80)
        except ValueError:
            raise _FetchError("invalid port") from None
        addresses = _addresses(parts.hostname, port)
        if public_origin is None:
            public_origin = all(_is_public(address) for address in addresses)  # the operator's choice
        elif refused := hop_refusal(public_origin, addresses, parts.hostname):
            raise _FetchError(refused)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _FetchError(f"took longer than {timeout:g}s")
        kind = _PinnedTLS if tls else _Pinned
        connection = kind(parts.hostname, port, addresses[0], min(stall, remaining))
        watchdog = threading.Timer(remaining, _cut, (connection,))
        watchdog.daemon = True
        watchdog.start()
        try:
            target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
            headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity", **conditional}
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            if response.status in _REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise _FetchError(f"HTTP {response.status} without a Location")
                url = urllib.parse.urljoin(url, location)
                continue
            if response.status == 304 and conditional:
                return Download(modified=False)
            if response.status != 200:
                raise _FetchError(f"HTTP {response.status} {response.reason}")
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise _FetchError(f"larger than {max_bytes // 1024} KiB")
            size = 0
            while chunk := response.read1(65536):
                size += len(chunk)
                if size > max_bytes:
                    raise _FetchError(f"larger than {max_bytes // 1024} KiB")
                try:
                    sink(chunk)
                except OSError as exc:
                    raise _FetchError(f"cannot write the download: {exc.strerror}") from None
            if time.monotonic() >= deadline:
                raise _FetchError(f"took longer than {timeout:g}s")
            return Download(True, Validators.of(response))
        except _FetchError:
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if time.monotonic() >= deadline:
                raise _FetchError(f"took longer than {timeout:g}s") from None
            if isinstance(exc, TimeoutError):
                raise _FetchError(f"received nothing for {stall:g}s") from None
            raise _FetchError(f"{type(exc).__name__}: {exc}") from None
        finally:
            watchdog.cancel()
            connection.close()
    raise _FetchError(f"more than {MAX_REDIRECTS} redirects")


class SourceCache:
    """The last good copy of each URL source, in a directory (one file per URL, named by
    its hash, owner-only), so the bot can start while a source is down. An archive's copy
    has its validators beside it (``.json``), for a conditional fetch; the site parsed from
    the last good archives is remembered (in memory), so unchanged archives are not parsed
    again."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._parsed: tuple[tuple[object, ...], KnowledgeBase] | None = None

    def _path(self, url: str) -> Path:
        return self.directory / (hashlib.sha256(url.encode("utf-8")).hexdigest()[:32] + ".md")

    def get(self, url: str) -> tuple[str, float] | None:
        """The cached text of ``url`` and when it was saved (epoch seconds), if any."""
        path = self._path(url)
        try:
            return path.read_text(encoding="utf-8"), path.stat().st_mtime
        except (OSError, UnicodeDecodeError):
            return None

    def archive(self, url: str) -> tuple[Path, float] | None:
        """The cached archive of ``url`` and when it was saved, if any."""
        path = self._path(url).with_suffix(".tar.gz")
        try:
            return path, path.stat().st_mtime
        except OSError:
            return None

    def validators(self, url: str) -> Validators | None:
        """The validators of the cached archive of ``url``, if both are there."""
        if self.archive(url) is None:
            return None
        try:
            data = json.loads(self._path(url).with_suffix(".json").read_text(encoding="utf-8"))
            found = Validators(_validator(data.get("etag")), _validator(data.get("last_modified")))
        except (OSError, ValueError, AttributeError, TypeError):
            return None
        return found if found.etag or found.last_modified else None

    def download(self, url: str) -> Path:
        """Where an archive of ``url`` is downloaded to before it is known to be good."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self._path(url).with_suffix(".part")

    def keep(self, url: str, download: Path, validators: Validators | None = None) -> bool:
        """Make the good ``download`` the last good archive of ``url``, with its validators
        (errors ignored: False). The old validators go first, so they never stand beside a
        newer copy."""
        path = self._path(url)
        try:
            path.with_suffix(".json").unlink(missing_ok=True)
            os.replace(download, path.with_suffix(".tar.gz"))
        except OSError:
            return False
        if validators is not None:
            self._write(path.with_suffix(".json"), json.dumps(dataclasses.asdict(validators)))
        return True

    def parsed(self, key: tuple[object, ...]) -> KnowledgeBase | None:
        """The site parsed from the archives ``key`` identifies, if it is the remembered one."""
        return self._parsed[1] if self._parsed is not None and self._parsed[0] == key else None

    def remember(self, key: tuple[object, ...], kb: KnowledgeBase) -> None:
        """Remember ``kb`` as the site parsed from the archives ``key`` identifies (an empty
        key identifies nothing: it is forgotten)."""
        self._parsed = (key, kb) if key else None

    def put(self, url: str, text: str) -> None:
        """Save ``text`` as the last good copy of ``url`` (atomically; errors ignored:
        the cache is a convenience)."""
        self._write(self._path(url), text)

    def _write(self, path: Path, text: str) -> None:
        temporary = path.with_suffix(".tmp")
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, path)
        except OSError:
            pass


def lang_of_location(location: str) -> str | None:
    """A page's language from where it lives: a ``/ru/`` folder or URL segment, or a
    ``page.nl.md`` suffix; None (detect it from the text) when neither tells."""
    parts = location.replace("\\", "/").split("/")
    suffix = parts[-1].rsplit(".", 2)
    if len(suffix) == 3 and suffix[1] in SITE_LANGS:
        return suffix[1]
    return next((part for part in reversed(parts[:-1]) if part in SITE_LANGS), None)


def load_source(source: str, *, limits: FetchLimits = FetchLimits(), text: str | None = None) -> KnowledgeBase:
    """Load one source: ``bundled``, a YAML file or directory, a markdown file, a site folder
    (markdown pages, or one folder of them per language; see knowledge/site.py), a GitHub
    tarball of the site (``.tar.gz``), or a URL (``text``: its content, already fetched)."""
    from .importer import import_markdown  # imported here: most runs only read YAML
    from .site import is_site, load_site
    from .yaml_loader import load_yaml

    if source == BUNDLED:
        return load_yaml(BUNDLED_DIR)
    if archive_target(source) is not None:
        return load_sources([source], limits=limits)
    if is_url(source):
        shown = public_source(source)
        path = urllib.parse.urlsplit(source).path.lower()
        if path.endswith(YAML_SUFFIXES):
            raise KnowledgeError([Problem(shown, 0, "YAML over http is not supported; use markdown pages")])
        if text is None:
            text = fetch_text(source, timeout=limits.timeout)
        return import_markdown(text, file=shown, url=shown, lang=lang_of_location(urllib.parse.urlsplit(source).path))
    path = Path(source)
    if not path.exists():
        raise KnowledgeError([Problem(source, 0, "no such file or directory")])
    if path.is_dir() and is_site(path):
        return load_site(path)
    if path.is_dir() or path.suffix.lower() in YAML_SUFFIXES:
        return load_yaml(path)
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise KnowledgeError([Problem(source, 0, f"cannot read: {exc}")]) from exc
        return import_markdown(text, file=source, lang=lang_of_location(str(path)))
    expected = "expected .yaml, .md, .tar.gz, a directory or a URL"
    raise KnowledgeError([Problem(source, 0, f"unknown kind of source ({expected})")])


def archive_target(source: str) -> str | None:
    """The path or URL an archive source names (``archive:`` prefix, or a name ending in
    ``.tar.gz``/``.tgz``), or None when ``source`` is no archive."""
    from .site import ARCHIVE_SUFFIXES

    if source.startswith(ARCHIVE_PREFIX):
        return source[len(ARCHIVE_PREFIX) :].strip()
    name = urllib.parse.urlsplit(source).path if is_url(source) else source
    return source if name.lower().endswith(ARCHIVE_SUFFIXES) else None


def load_sources(
    sources: Sequence[str] = (),
    *,
    limits: FetchLimits = FetchLimits(),
    cache: SourceCache | None = None,
    fall_back: bool = False,
    stale: list[str] | None = None,
) -> KnowledgeBase:
    """Load and merge sources (none: the bundled pack) into one validated base.

    With ``cache``, the URL sources of a successful load are saved there; with
    ``fall_back`` too, a URL that cannot be fetched is read from its last good copy and
    a line saying so is appended to ``stale``. Archive sources (local or fetched) together
    make one site: the English tarball and the translations' one. With ``cache``, an archive
    URL with a cached copy is fetched conditionally (a 304 reads the copy), and archives that
    are all unchanged are not parsed again."""
    sources = list(sources) or [BUNDLED]
    with tempfile.TemporaryDirectory(prefix="recbot-") as scratch:
        return _load_sources(sources, limits, cache, fall_back, stale, Path(scratch))


def _load_sources(
    sources: list[str],
    limits: FetchLimits,
    cache: SourceCache | None,
    fall_back: bool,
    stale: list[str] | None,
    scratch: Path,
) -> KnowledgeBase:
    from .site import load_archives

    problems: list[Problem] = []
    parts: list[KnowledgeBase] = []
    fetched: dict[str, str] = {}
    downloads: dict[str, tuple[Path, Validators | None]] = {}
    archives = {s: target for s in sources if (target := archive_target(s)) is not None}
    site: KnowledgeBase | None = None
    if archives:  # the site's tarballs (English, translations) make one site together
        try:
            files = [
                _archive_file(target, index, limits, cache, fall_back, stale, scratch, downloads)
                for index, target in enumerate(archives.values())
            ]
            key = _archives_key(files, limits.archive_max_bytes)
            site = cache.parsed(key) if cache is not None else None
            if site is None:
                site = load_archives([path for path, _ in files], [name for _, name in files], limits.archive_max_bytes)
            parts.append(site)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
    for source in (s for s in sources if s not in archives):
        try:
            text = None
            if is_url(source) and cache is not None:
                text = _fetch_or_cached(source, limits.timeout, cache if fall_back else None, stale)
                fetched[source] = text
            part = load_source(source, limits=limits, text=text)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            continue
        if not part.entries:
            problems.append(Problem(public_source(source), 0, "yields no entries"))
        parts.append(part)
    try:
        if problems:
            raise KnowledgeError(problems)
        kb = merge(parts)
        validate(kb)
    except KnowledgeError:
        for download, _ in downloads.values():  # never kept: the load they belong to failed
            download.unlink(missing_ok=True)
        raise
    if cache is not None:
        for url, text in fetched.items():
            cache.put(url, text)
        kept = [cache.keep(url, download, validators) for url, (download, validators) in downloads.items()]
        if site is not None and all(kept):  # parsed from what is now in the cache
            kept_files = [(_kept(cache, target, path), name) for target, (path, name) in zip(archives.values(), files)]
            cache.remember(_archives_key(kept_files, limits.archive_max_bytes), site)
    return kb


def _kept(cache: SourceCache, target: str, path: Path) -> Path:
    """Where the archive file ``path`` of ``target`` is after the load: its cached copy, if any."""
    copy = cache.archive(target) if is_url(target) else None
    return copy[0] if copy is not None else path


def _archives_key(files: Sequence[tuple[Path, str]], max_bytes: int) -> tuple[object, ...]:
    """What identifies the archive files of one load (names, paths, sizes, modification
    times): equal keys, equal files, so their parsed site can be reused."""
    key: list[object] = [max_bytes]
    for path, name in files:
        try:
            stat = path.stat()
        except OSError:
            return ()  # never equal to a remembered key: that is never empty
        key.append((name, str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(key)


def _archive_file(
    target: str,
    index: int,
    limits: FetchLimits,
    cache: SourceCache | None,
    fall_back: bool,
    stale: list[str] | None,
    scratch: Path,
    downloads: dict[str, tuple[Path, Validators | None]],
) -> tuple[Path, str]:
    """The archive file of one archive source and the name its errors use: a local file as
    it is; a URL downloaded (into the cache, kept there once the whole load is good), its
    cached copy when the server says (304) that copy is current, or its last good copy with
    ``fall_back`` when the download fails."""
    if not is_url(target):
        if not Path(target).is_file():
            raise KnowledgeError([Problem(target, 0, "no such archive file")])
        return Path(target), target
    shown = public_source(target)
    download = scratch / f"archive-{index}.tar.gz"
    if cache is not None:
        try:
            download = cache.download(target)
        except OSError:  # an unwritable cache: download anyway, keep no copy
            cache = None
    validators = cache.validators(target) if cache is not None else None
    try:
        got = fetch_file(target, download, limits=limits, validators=validators)
        if not got.modified:
            current = cache.archive(target) if cache is not None else None
            if current is None:
                raise KnowledgeError([Problem(shown, 0, "cannot fetch: HTTP 304 but the cached copy is gone")])
            return current[0], shown
    except KnowledgeError as exc:
        falls_back = cache is not None and fall_back
        return _last_copy(target, exc, cache.archive(target) if falls_back else None, falls_back, stale), shown
    downloads[target] = (download, got.validators)
    return download, shown


def _fetch_or_cached(url: str, timeout: float, cache: SourceCache | None, stale: list[str] | None) -> str:
    """``url``'s text, or its cached copy when it cannot be fetched and ``cache`` is given."""
    try:
        return fetch_text(url, timeout=timeout)
    except KnowledgeError as exc:
        return _last_copy(url, exc, cache.get(url) if cache is not None else None, cache is not None, stale)


T = TypeVar("T")  # what a cached copy holds: a source's text, an archive's path


def _last_copy(url: str, exc: KnowledgeError, copy: tuple[T, float] | None, looked: bool, stale: list[str] | None) -> T:
    """After a failed fetch of ``url``: its last good ``copy`` (value, time saved), noted in
    ``stale``; without one the fetch's error, saying so when a copy was ``looked`` for."""
    if copy is None:
        if not looked:
            raise exc
        raise KnowledgeError([Problem(p.file, p.line, f"{p.message} (and no cached copy)") for p in exc.problems]) from None
    value, saved = copy
    _note_stale(url, exc, saved, stale)
    return value


def _note_stale(url: str, exc: KnowledgeError, saved: float, stale: list[str] | None) -> None:
    """Say (in ``stale``) that ``url`` is read from the copy saved at ``saved``, and why."""
    reason = "; ".join(p.message for p in exc.problems)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(saved))
    if stale is not None:
        stale.append(f"{public_source(url)}: {reason}; using the copy saved {when}")


def merge(parts: Iterable[KnowledgeBase]) -> KnowledgeBase:
    entries: list[Entry] = []
    criteria: dict[str, Criterion] = {}
    warnings = []
    sources: dict[Source, None] = {}
    categories: dict[str, Category] = {}
    for part in parts:
        entries.extend(part.entries)
        for criterion in part.criteria:
            criteria.setdefault(criterion.id, criterion)
        warnings.extend(part.warnings)
        sources.update(dict.fromkeys(part.sources))
        for category in part.categories:
            have = categories.get(category.path)
            categories[category.path] = category if have is None else _merged_category(have, category)
    entries, warnings = _fold_curated(entries, warnings)
    return KnowledgeBase(
        tuple(_link_twins(entries)),
        tuple(criteria.values()),
        tuple(warnings),
        tuple(sources),
        tuple(categories.values()),
    )


def _merged_category(first: Category, other: Category) -> Category:
    """The same page from two sources (the curated pack, then the site): the first one's texts
    win per language and its criteria, if it has any, stand for the page (curated criteria
    carry their later changes); warnings and sources of both."""
    return dataclasses.replace(
        first,
        title=Text({**other.title.by_lang, **first.title.by_lang}),
        intro=Text({**other.intro.by_lang, **first.intro.by_lang}),
        criteria=first.criteria or other.criteria,
        warnings=tuple(dict.fromkeys((*first.warnings, *other.warnings))),
        date=first.date or other.date,
        sources=tuple(dict.fromkeys((*first.sources, *other.sources))),
    )


def _names_of(entry: Entry) -> set[str]:
    return {name.casefold().strip() for name in (entry.name, *entry.aliases)}


def _fold_curated(entries: list[Entry], warnings: list[PageWarning]) -> tuple[list[Entry], list[PageWarning]]:
    """A curated entry and a site card of the same product (same category, a name in common) are
    one entry: the curated id, facts and texts win, the card's id becomes an alias and the card
    fills what the curated entry lacks (links, downloads, texts in more languages)."""
    curated = [e for e in entries if "/" not in e.id and e.category]
    if not curated:
        return entries, warnings
    renamed: dict[str, str] = {}
    folded: dict[str, Entry] = {e.id: e for e in curated}
    for card in (e for e in entries if "/" in e.id):
        mine = next(
            (c for c in curated if c.category == card.category and _names_of(c) & _names_of(card)), None
        )
        if mine is None or mine.id in renamed.values():
            continue
        renamed[card.id] = mine.id
        base = folded[mine.id]
        extra = [card.id, card.name, *card.aliases]
        folded[mine.id] = dataclasses.replace(
            base,
            aliases=tuple(dict.fromkeys(a for a in (*base.aliases, *extra) if a.casefold() != base.name.casefold())),
            summary=Text({**card.summary.by_lang, **base.summary.by_lang}),
            description=Text({**card.description.by_lang, **base.description.by_lang}),
            details=Text({**card.details.by_lang, **base.details.by_lang}),
            links=base.links or card.links,
            downloads=base.downloads or card.downloads,
            caveats=base.caveats or card.caveats,
            warnings=tuple(dict.fromkeys((*base.warnings, *card.warnings))),
            also_on=tuple(dict.fromkeys((*base.also_on, *card.also_on))),
        )
    if not renamed:
        return entries, warnings
    result = []
    for entry in entries:
        if entry.id in renamed:
            continue
        entry = folded.get(entry.id, entry)
        also = tuple(dict.fromkeys(renamed.get(i, i) for i in entry.also_on if renamed.get(i, i) != entry.id))
        result.append(dataclasses.replace(entry, also_on=also))
    moved = [dataclasses.replace(w, applies_to=tuple(renamed.get(i, i) for i in w.applies_to)) for w in warnings]
    return result, moved


def _link_twins(entries: list[Entry]) -> list[Entry]:
    """Entries of different categories with the same name are the same product on two pages."""
    by_name: dict[str, list[Entry]] = {}
    for entry in entries:
        by_name.setdefault(entry.name.casefold().strip(), []).append(entry)
    result = []
    for entry in entries:
        twins = [e.id for e in by_name[entry.name.casefold().strip()] if e.category != entry.category]
        if twins and entry.category:
            entry = dataclasses.replace(entry, also_on=tuple(dict.fromkeys((*entry.also_on, *twins))))
        result.append(entry)
    return result


def validate(kb: KnowledgeBase) -> None:
    """Cross-checks that no single file can make: ids, aliases and references."""
    problems: list[Problem] = []

    def report(entry_source, message: str) -> None:
        problems.append(Problem(entry_source.file if entry_source else "", entry_source.line if entry_source else 0, message))

    seen_ids: dict[str, Entry] = {}
    seen_names: dict[str, Entry] = {}
    for entry in kb.entries:
        if entry.id in seen_ids:
            other = seen_ids[entry.id].source
            report(entry.source, f"duplicate entry id '{entry.id}' (also at {other.file}:{other.line})")
            continue
        seen_ids[entry.id] = entry
        for name in (entry.name, *entry.aliases):  # twins on other pages (also_on) share names
            key = name.casefold().strip()
            owner = seen_names.get(key)
            if owner is not None and owner.id != entry.id and owner.id not in entry.also_on:
                report(entry.source, f"name or alias '{name}' of '{entry.id}' is already used by '{owner.id}'")
            seen_names.setdefault(key, entry)

    criterion_ids = {c.id for c in kb.criteria}
    seen_criteria: set[str] = set()
    for criterion in kb.criteria:
        if criterion.id in seen_criteria:
            report(criterion.source, f"duplicate criterion id '{criterion.id}'")
        seen_criteria.add(criterion.id)
    warning_ids = {w.id for w in kb.warnings}
    for warning in kb.warnings:
        for entry_id in warning.applies_to:
            if entry_id not in seen_ids:
                report(warning.source, f"warning '{warning.id}' applies to unknown entry '{entry_id}'")
    for entry in kb.entries:
        for criterion_id in (*entry.meets, *entry.misses):
            if criterion_id not in criterion_ids:
                report(entry.source, f"'{entry.id}' refers to unknown criterion '{criterion_id}'")
        both = set(entry.meets) & set(entry.misses)
        if both:
            report(entry.source, f"'{entry.id}' both meets and misses {', '.join(sorted(both))}")
        for warning_id in entry.warnings:
            if warning_id not in warning_ids:
                report(entry.source, f"'{entry.id}' refers to unknown warning '{warning_id}'")
        if entry.client_of and entry.client_of not in seen_ids:
            report(entry.source, f"'{entry.id}' is a client of unknown entry '{entry.client_of}'")
    if not kb.entries:
        problems.append(Problem("", 0, "the knowledge base has no entries"))
    if problems:
        raise KnowledgeError(problems)
