"""Archive sources over http(s): the site's GitHub tarballs, built from the snapshot and served
on 127.0.0.1 behind a redirect hop (never the network), fetched with the bounded fetch, read
with bounds (tar bombs, devices, links) and kept as the last good copy."""

from __future__ import annotations

import io
import tarfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.loading import FetchLimits, SourceCache, archive_target, load_sources, public_source
from knowledge.model import KnowledgeBase, KnowledgeError
from knowledge.site import MAX_UNPACKED_BYTES
from site_archives import (
    LANGS,
    LAST_MODIFIED,
    SITE_PATH,
    SNAPSHOT,
    ArchiveServer,
    archive_server,
    serve_snapshot,
    snapshot_tarballs,
    tarball,
)

SITE_FILE = "/codeload/privacyguides.org/tar.gz/refs/heads/main"
I18N_FILE = "/codeload/i18n/tar.gz/refs/heads/main"


@pytest.fixture(scope="module")
def tarballs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return snapshot_tarballs(tmp_path_factory.mktemp("tarballs"))


@pytest.fixture(scope="module")
def snapshot() -> KnowledgeBase:
    return load_sources([str(SNAPSHOT)])


@pytest.fixture
def served() -> Iterator[ArchiveServer]:
    with archive_server() as server:
        yield server


def test_archive_sources_are_named_by_prefix_or_suffix() -> None:
    assert archive_target("https://github.com/privacyguides/i18n/archive/refs/heads/main.tar.gz?x=1")
    assert archive_target("archive:https://codeload.github.com/privacyguides/i18n/tar.gz/main") == (
        "https://codeload.github.com/privacyguides/i18n/tar.gz/main"
    )
    assert archive_target("/srv/site.tgz") == "/srv/site.tgz"
    assert archive_target("https://example.org/vpn.md") is None and archive_target("bundled") is None
    secret = "archive:https://user:pw@codeload.github.com/privacyguides/i18n/tar.gz/main?token=abc"
    assert public_source(secret) == "archive:https://codeload.github.com/privacyguides/i18n/tar.gz/main"


def test_fetched_archives_load_as_one_multilingual_site(
    served: ArchiveServer, tarballs: tuple[Path, Path], snapshot: KnowledgeBase
) -> None:
    site, i18n = serve_snapshot(served, *tarballs)
    kb = load_sources([site, i18n])
    assert [e.id for e in kb.entries] == [e.id for e in snapshot.entries]
    assert sorted({s.lang for s in kb.sources}) == sorted(LANGS)
    assert SITE_PATH in served.requests and any(r.startswith("/codeload/") for r in served.requests)  # the hop
    dates = {(s.lang, s.date) for s in kb.category("vpn").sources}
    assert ("en", "2026-03-11") in dates and ("fr", "2026-08-22") in dates  # the members' commit time
    proton = kb.get("vpn/proton-vpn")
    assert proton.source.file.startswith(site + ":")  # errors and sources name the URL, not a temp file


def test_unpublished_and_suffixed_translations_are_skipped(tmp_path: Path) -> None:
    page = SNAPSHOT / "fr" / "vpn.md"
    english = tarball(tmp_path / "site.tar.gz", "privacyguides.org-1", {"docs/vpn.md": SNAPSHOT / "en" / "vpn.md"})
    i18n = tarball(tmp_path / "i18n.tar.gz", "i18n-1", {"i18n/fr/vpn.md": page, "i18n/ar/vpn.md": page})
    kb = load_sources([str(english), str(i18n)])
    assert sorted({s.lang for s in kb.sources}) == ["en", "fr"]  # ar is a translation in progress
    older = {"docs/vpn.en.md": SNAPSHOT / "en" / "vpn.md", "docs/vpn.fr.md": page, "docs/vpn.he_IL.md": page}
    suffixed = load_sources([str(tarball(tmp_path / "older.tar.gz", "privacyguides.org-0", older))])
    assert {c.path for c in suffixed.categories} == {"vpn"} and {s.lang for s in suffixed.sources} == {"en"}


def test_an_archive_over_its_size_cap_is_refused(served: ArchiveServer, tarballs: tuple[Path, Path]) -> None:
    site, i18n = serve_snapshot(served, *tarballs)
    with pytest.raises(KnowledgeError, match=r"cannot fetch: larger than 1024 KiB"):
        load_sources([site, i18n], limits=FetchLimits(archive_max_bytes=1024 * 1024))


def test_a_fetched_archive_is_the_last_good_copy(
    served: ArchiveServer, tarballs: tuple[Path, Path], tmp_path: Path
) -> None:
    site, i18n = serve_snapshot(served, *tarballs)
    cache = SourceCache(tmp_path / "cache")
    good = load_sources([site, i18n], cache=cache)
    kept = sorted(p.suffix for p in (tmp_path / "cache").iterdir())
    assert kept == [".gz", ".gz", ".json", ".json"]  # copies and their validators, no .part left
    served.files.clear()  # both sources down
    with pytest.raises(KnowledgeError, match="HTTP 404"):
        load_sources([site, i18n], cache=cache)  # a refresh never falls back
    stale: list[str] = []
    again = load_sources([site, i18n], cache=cache, fall_back=True, stale=stale)
    assert again.version == good.version
    assert len(stale) == 2 and "HTTP 404" in stale[0] and "using the copy saved" in stale[0]
    with pytest.raises(KnowledgeError, match=r"\(and no cached copy\)"):
        load_sources([site, i18n], cache=SourceCache(tmp_path / "empty"), fall_back=True, stale=[])


def test_a_broken_download_never_replaces_the_last_good_copy(
    served: ArchiveServer, tarballs: tuple[Path, Path], tmp_path: Path
) -> None:
    site, i18n = serve_snapshot(served, *tarballs)
    cache = SourceCache(tmp_path / "cache")
    good = load_sources([site, i18n], cache=cache)
    served.files["/codeload/privacyguides.org/tar.gz/refs/heads/main"] = b"not a tarball"
    with pytest.raises(KnowledgeError, match="cannot read the archive"):
        load_sources([site, i18n], cache=cache)
    assert not list((tmp_path / "cache").glob("*.part"))  # the bad download is not kept
    served.files.clear()
    assert load_sources([site, i18n], cache=cache, fall_back=True, stale=[]).version == good.version


def _raw_tarball(path: Path, headers: list[tarfile.TarInfo], data: bytes = b"") -> Path:
    """A .tar.gz of bare headers (a member may claim a size its data does not have: a bomb)."""
    raw = b"".join(info.tobuf(tarfile.GNU_FORMAT) for info in headers) + data + b"\0" * 1024
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    path.write_bytes(compressor.compress(raw) + compressor.flush())
    return path


def test_a_tar_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    bomb = tarfile.TarInfo("root/docs/assets/zeros.bin")
    bomb.size = MAX_UNPACKED_BYTES + 1
    path = _raw_tarball(tmp_path / "bomb.tar.gz", [bomb])
    with pytest.raises(KnowledgeError, match=r"unpacks to more than 2048 MiB \(a tar bomb\?\)"):
        load_sources([str(path)])


def test_devices_are_refused_and_links_never_followed(tmp_path: Path) -> None:
    device = tarfile.TarInfo("root/docs/vpn.md")
    device.type = tarfile.CHRTYPE
    path = _raw_tarball(tmp_path / "device.tar.gz", [device])
    with pytest.raises(KnowledgeError, match="device or FIFO member"):
        load_sources([str(path)])
    page = (SNAPSHOT / "en" / "vpn.md").read_bytes()
    link = tarfile.TarInfo("root/docs/email.md")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    with tarfile.open(tmp_path / "links.tar.gz", "w:gz") as archive:
        archive.addfile(link)
        info = tarfile.TarInfo("root/docs/vpn.md")
        info.size = len(page)
        archive.addfile(info, io.BytesIO(page))
    kb = load_sources([str(tmp_path / "links.tar.gz")])
    assert {c.path for c in kb.categories} == {"vpn"}  # the link is skipped, not read


# -- the archive deadline and the stall guard ----------------------------------------------------


def test_an_archive_may_take_longer_than_a_page_fetch_but_not_its_own_deadline(
    served: ArchiveServer, tarballs: tuple[Path, Path]
) -> None:
    site, _ = serve_snapshot(served, *tarballs)
    served.drip_s = 0.3  # the English tarball's six 64 KiB pieces take ~1.8 s in all
    kb = load_sources([site], limits=FetchLimits(timeout=1, archive_timeout=30))
    assert kb.category("vpn") is not None  # longer than fetch_timeout, never silent that long
    started = time.monotonic()
    with pytest.raises(KnowledgeError, match=r"cannot fetch: took longer than 1\.2s"):
        load_sources([site], limits=FetchLimits(timeout=1, archive_timeout=1.2))
    assert time.monotonic() - started < 3


def test_a_download_that_stalls_is_cut_before_its_deadline(served: ArchiveServer, tarballs: tuple[Path, Path]) -> None:
    site, _ = serve_snapshot(served, *tarballs)
    served.pause_after, served.pause_s = 65536, 10.0  # one piece, then silence
    started = time.monotonic()
    with pytest.raises(KnowledgeError, match=r"cannot fetch: received nothing for 1s"):
        load_sources([site], limits=FetchLimits(timeout=1, archive_timeout=60))
    assert time.monotonic() - started < 4


# -- conditional fetch: validators beside the last good copy ------------------------------------


Answer = tuple[str, int, dict[str, str]]


def _load(served: ArchiveServer, sources: list[str], cache: SourceCache) -> tuple[KnowledgeBase, list[Answer]]:
    """One load of ``sources`` with ``cache``, and what the server answered to it."""
    served.answers.clear()
    return load_sources(sources, cache=cache), list(served.answers)


def _statuses(answers: list[Answer]) -> list[tuple[str, int]]:
    return [(path, status) for path, status, _ in answers]


@pytest.fixture
def cached(
    served: ArchiveServer, tarballs: tuple[Path, Path], tmp_path: Path
) -> tuple[list[str], SourceCache, KnowledgeBase]:
    """The snapshot's tarballs served, and loaded once with a cache (in tmp_path/cache)."""
    sources = list(serve_snapshot(served, *tarballs))
    cache = SourceCache(tmp_path / "cache")
    kb, answers = _load(served, sources, cache)
    assert _statuses(answers) == [(SITE_FILE, 200), (I18N_FILE, 200)] and not any(a for _, _, a in answers)
    return sources, cache, kb


def test_an_unchanged_archive_is_not_downloaded_or_parsed_again(
    served: ArchiveServer, cached: tuple[list[str], SourceCache, KnowledgeBase], tmp_path: Path
) -> None:
    sources, cache, first = cached
    again, answers = _load(served, sources, cache)
    assert _statuses(answers) == [(SITE_FILE, 304), (I18N_FILE, 304)]
    assert all(asked.get("If-None-Match", "").startswith('"') for _, _, asked in answers)
    assert all(asked.get("If-Modified-Since") == LAST_MODIFIED for _, _, asked in answers)
    assert again.version == first.version
    assert again.category("vpn") is first.category("vpn")  # the remembered parse, not a new one
    restarted, answers = _load(served, sources, SourceCache(tmp_path / "cache"))  # a new start
    assert restarted.version == first.version and restarted.category("vpn") is not first.category("vpn")
    assert _statuses(answers) == [(SITE_FILE, 304), (I18N_FILE, 304)]


def test_a_changed_archive_is_downloaded_and_replaces_its_validators(
    served: ArchiveServer, cached: tuple[list[str], SourceCache, KnowledgeBase], tmp_path: Path
) -> None:
    sources, cache, first = cached
    page = (SNAPSHOT / "en" / "vpn.md").read_bytes().replace(b"since 2016", b"since 2016, audited yearly")
    changed, _ = snapshot_tarballs(tmp_path, edit={"vpn.md": page})
    served.files[SITE_FILE] = changed.read_bytes()
    second, answers = _load(served, sources, cache)
    assert _statuses(answers) == [(SITE_FILE, 200), (I18N_FILE, 304)] and second.version != first.version
    assert "audited yearly" in second.get("vpn/proton-vpn").description.get("en")
    third, answers = _load(served, sources, cache)  # the new copy's validators were kept
    assert _statuses(answers) == [(SITE_FILE, 304), (I18N_FILE, 304)] and third.version == second.version


def test_a_server_that_ignores_validators_sends_the_whole_archive_again(
    served: ArchiveServer, cached: tuple[list[str], SourceCache, KnowledgeBase]
) -> None:
    sources, cache, first = cached
    served.honour_validators = False
    again, answers = _load(served, sources, cache)
    assert _statuses(answers) == [(SITE_FILE, 200), (I18N_FILE, 200)] and all(a for _, _, a in answers)
    assert again.version == first.version


def test_last_modified_alone_makes_a_conditional_fetch_and_no_validators_none(
    served: ArchiveServer, tarballs: tuple[Path, Path], tmp_path: Path
) -> None:
    sources = list(serve_snapshot(served, *tarballs))
    served.etag = False
    cache = SourceCache(tmp_path / "cache")
    _load(served, sources, cache)
    _, answers = _load(served, sources, cache)
    assert _statuses(answers) == [(SITE_FILE, 304), (I18N_FILE, 304)]
    assert all(asked == {"If-Modified-Since": LAST_MODIFIED} for _, _, asked in answers)
    served.last_modified = False  # the server now gives no validators (and so never a 304)
    _, answers = _load(served, sources, cache)
    assert _statuses(answers) == [(SITE_FILE, 200), (I18N_FILE, 200)]
    assert not list((tmp_path / "cache").glob("*.json"))  # the old validators are gone
    _, answers = _load(served, sources, cache)
    assert _statuses(answers) == [(SITE_FILE, 200), (I18N_FILE, 200)] and not any(a for _, _, a in answers)


def test_validators_without_their_cached_copy_are_not_sent(
    served: ArchiveServer, cached: tuple[list[str], SourceCache, KnowledgeBase], tmp_path: Path
) -> None:
    sources, cache, _ = cached
    for copy in (tmp_path / "cache").glob("*.tar.gz"):
        copy.unlink()
    kb, answers = _load(served, sources, cache)
    assert _statuses(answers) == [(SITE_FILE, 200), (I18N_FILE, 200)] and not any(a for _, _, a in answers)
    assert len(list((tmp_path / "cache").glob("*.tar.gz"))) == 2 and kb.category("vpn") is not None
