"""Test helpers: GitHub-shaped tarballs of the site snapshot, and a local HTTP server that
serves them behind a redirect hop (like github.com's archive URL redirecting to codeload),
never the network."""

from __future__ import annotations

import io
import tarfile
import threading
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


class ArchiveServer:
    """Serves ``files`` (URL path -> bytes; change it to change what is served) on
    127.0.0.1, and ``redirects`` (path -> path) with a 302 first."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[str] = []
        self.base_url = ""


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
            self.send_response(200)
            self.send_header("Content-Type", "application/x-gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

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
