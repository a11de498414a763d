"""Test helpers: GitHub-shaped tarballs of the site snapshot, and a local HTTP server that
serves them behind a redirect hop (like github.com's archive URL redirecting to codeload),
never the network."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "privacyguides"
LANGS = ("en", "es", "fr", "he", "it", "nl", "ru", "zh-Hant", "zh-TW")
#: What the archive paths on github.com look like (they redirect to codeload.github.com).
SITE_PATH = "/privacyguides/privacyguides.org/archive/refs/heads/main.tar.gz"
I18N_PATH = "/privacyguides/i18n/archive/refs/heads/main.tar.gz"
SITE_MTIME = 1_773_187_200  # 2026-03-11, the snapshot's English date
I18N_MTIME = 1_787_356_800  # 2026-08-22


def tarball(path: Path, root: str, members: Mapping[str, Path | bytes], mtime: int = 1_767_225_600) -> Path:
    """A .tar.gz like GitHub's: every member under ROOT/, stamped with the commit time."""
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members.items():
            data = content.read_bytes() if isinstance(content, Path) else content
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size, info.mtime = len(data), mtime
            archive.addfile(info, io.BytesIO(data))
    return path


def english_members(edit: Mapping[str, bytes] | None = None) -> dict[str, Path | bytes]:
    """The snapshot's English pages as ``docs/…`` members; ``edit`` replaces some (by page file)."""
    members: dict[str, Path | bytes] = {
        f"docs/{p.relative_to(SNAPSHOT / 'en').as_posix()}": p for p in (SNAPSHOT / "en").rglob("*.md")
    }
    members["README.md"] = b"# Privacy Guides\n"
    for file, data in (edit or {}).items():
        members[f"docs/{file}"] = data
    return members


def snapshot_tarballs(tmp: Path, edit: Mapping[str, bytes] | None = None) -> tuple[Path, Path]:
    """The snapshot as GitHub's two tarballs: privacyguides.org (English under ``docs/``) and
    i18n (the translations under ``i18n/LANG/``)."""
    translated = {
        f"i18n/{lang}/{p.relative_to(SNAPSHOT / lang).as_posix()}": p
        for lang in LANGS[1:]
        for p in (SNAPSHOT / lang).rglob("*.md")
    }
    return (
        tarball(tmp / "site.tar.gz", "privacyguides.org-45d7263", english_members(edit), mtime=SITE_MTIME),
        tarball(tmp / "i18n.tar.gz", "i18n-115b5ce", translated, mtime=I18N_MTIME),
    )


#: Last-Modified of every served file (a validator like GitHub's ETag is made of the content).
LAST_MODIFIED = "Wed, 11 Mar 2026 00:00:00 GMT"


class ArchiveServer:
    """Serves ``files`` (URL path -> bytes; change it to change what is served) on
    127.0.0.1, and ``redirects`` (path -> path) with a 302 first. Each file has an ETag (a
    hash of it) and a Last-Modified (switch them off with ``etag``/``last_modified``); a
    matching If-None-Match, or If-Modified-Since when there is no ETag, gets a 304 unless
    ``honour_validators`` is off. ``pause_after``/``pause_s``: after that many bytes of a
    file, the server sends nothing for that long; ``drip_s``: a pause before every 64 KiB."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[str] = []
        #: (path, status, the conditional headers the request had) of every answered file.
        self.answers: list[tuple[str, int, dict[str, str]]] = []
        self.etag = True
        self.last_modified = True
        self.honour_validators = True
        self.pause_after: int | None = None
        self.pause_s = 0.0
        self.drip_s = 0.0
        self.base_url = ""

    def sent(self, status: int) -> list[str]:
        """The paths answered with ``status``."""
        return [path for path, answered, _ in self.answers if answered == status]


@contextmanager
def archive_server() -> Iterator[ArchiveServer]:
    served = ArchiveServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0]
            served.requests.append(path)
            if path in served.redirects:
                self.send_response(302)
                self.send_header("Location", served.redirects[path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = served.files.get(path)
            if body is None:
                self.send_error(404)
                return
            etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"' if served.etag else None
            asked = {k: v for k, v in self.headers.items() if k.lower() in ("if-none-match", "if-modified-since")}
            status = 304 if served.honour_validators and self._current(etag) else 200
            served.answers.append((path, status, asked))
            self.send_response(status)
            if etag:
                self.send_header("ETag", etag)
            if served.last_modified:
                self.send_header("Last-Modified", LAST_MODIFIED)
            if status == 304:
                self.end_headers()
                return
            self.send_header("Content-Type", "application/x-gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self._send(body)

        def _current(self, etag: str | None) -> bool:
            """Whether the request's validators match (If-None-Match wins when there is one)."""
            match = self.headers.get("If-None-Match")
            if match is not None:
                return etag is not None and match == etag
            return served.last_modified and self.headers.get("If-Modified-Since") == LAST_MODIFIED

        def _send(self, body: bytes) -> None:
            paused = served.pause_after is None
            try:
                for start in range(0, len(body), 65536):
                    if not paused and start >= served.pause_after:
                        time.sleep(served.pause_s)  # the server's thread, not the bot's loop
                        paused = True
                    time.sleep(served.drip_s)
                    self.wfile.write(body[start : start + 65536])
                    self.wfile.flush()
            except OSError:  # the client hung up (cut by its deadline)
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    served.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield served
    finally:
        httpd.shutdown()
        httpd.server_close()


def serve_snapshot(served: ArchiveServer, site: Path, i18n: Path) -> tuple[str, str]:
    """Serve the two tarballs behind github.com-like paths that redirect to codeload-like
    ones; the two source URLs (the second one with the ``archive:`` prefix, since a codeload
    URL does not end in .tar.gz)."""
    served.redirects[SITE_PATH] = "/codeload/privacyguides.org/tar.gz/refs/heads/main"
    served.files["/codeload/privacyguides.org/tar.gz/refs/heads/main"] = site.read_bytes()
    served.files["/codeload/i18n/tar.gz/refs/heads/main"] = i18n.read_bytes()
    return served.base_url + SITE_PATH, f"archive:{served.base_url}/codeload/i18n/tar.gz/refs/heads/main"
