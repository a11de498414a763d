"""Bounded loading: a total deadline per fetch (against a local server that drips), the
redirect policy, size limits, resource bombs and hostile YAML as file:line errors, secrets
kept out of every view of a source, the last good copy, and bounded echoes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.offline import cmd_kb
from knowledge.engine import Engine
from knowledge.importer import import_markdown
from knowledge.loading import (
    SourceCache,
    fetch_text,
    hop_refusal,
    load_sources,
    public_source,
)
from knowledge.model import KnowledgeError
from knowledge.text import echo
from knowledge.yaml_loader import load_yaml
from knowledge.yaml_safe import YamlError, load_bounded

PAGE = (Path(__file__).parent / "pages" / "messengers.en.md").read_text(encoding="utf-8")
#: Each level holds nine aliases of the one before: 9**7 (4.8 million) values once expanded.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n" for prev, name in zip("abcdef", "bcdefg")
)
DRIP_SECONDS = 30  # the dripping handlers stop after this long whatever happens


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = self.path.split("?", 1)[0]
        if path == "/page.md":
            self._send(PAGE.encode("utf-8"))
        elif path == "/big.md":
            self._send(b"x" * (3 * 1024 * 1024))
        elif path == "/drip.md":
            self.send_response(200)
            self.end_headers()
            self._drip(b"x")
        elif path == "/slow-headers.md":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._drip(b"X-Slow: y\r\n")
        elif path.startswith("/to/"):
            self.send_response(302)
            self.send_header("Location", path[len("/to/") :].replace("~", "/"))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/loop.md":
            self.send_response(302)
            self.send_header("Location", "/loop.md")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_error(404)

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, piece: bytes) -> None:
        """One piece a second, for at most DRIP_SECONDS (or until the client hangs up)."""
        for _ in range(DRIP_SECONDS):
            try:
                self.wfile.write(piece)
                self.wfile.flush()
            except OSError:
                return
            time.sleep(1)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up on a dripping answer is the point of those tests


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A local HTTP server on 127.0.0.1; its base URL."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- the deadline, sizes and redirects --------------------------------------------------------


@pytest.mark.parametrize("path", ["/drip.md", "/slow-headers.md"])
def test_a_dripping_source_is_cut_at_the_total_deadline(server: str, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(KnowledgeError, match=r"took longer than 2s"):
        fetch_text(server + path, timeout=2)
    assert time.monotonic() - started < 4


def test_a_source_larger_than_the_limit_is_refused(server: str) -> None:
    with pytest.raises(KnowledgeError, match="larger than 2048 KiB"):
        fetch_text(server + "/big.md")


def test_redirects_to_other_schemes_are_refused_before_connecting(server: str) -> None:
    with pytest.raises(KnowledgeError, match="not http"):
        fetch_text(server + "/to/ftp:~~127.0.0.1:21~page.md", timeout=5)


def test_a_redirect_within_an_operator_configured_loopback_host_is_followed(server: str) -> None:
    assert "### Parrot" in fetch_text(server + "/to/~page.md", timeout=5)


def test_redirect_loops_end(server: str) -> None:
    with pytest.raises(KnowledgeError, match="more than 5 redirects"):
        fetch_text(server + "/loop.md", timeout=5)


@pytest.mark.parametrize(
    ("origin_public", "addresses", "refused"),
    [
        (True, ["93.184.215.14"], False),
        (True, ["127.0.0.1"], True),
        (True, ["10.1.2.3"], True),
        (True, ["192.168.1.1"], True),
        (True, ["169.254.169.254"], True),  # cloud metadata
        (True, ["::1"], True),
        (True, ["93.184.215.14", "127.0.0.1"], True),  # any private answer counts
        (False, ["127.0.0.1"], False),  # the operator configured a local source
        (False, ["93.184.215.14"], False),
    ],
)
def test_redirect_policy(origin_public: bool, addresses: list[str], refused: bool) -> None:
    assert (hop_refusal(origin_public, addresses, "host") is not None) is refused


# -- bombs and hostile YAML ----------------------------------------------------------------------


def test_an_alias_bomb_in_front_matter_is_a_located_error_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(KnowledgeError) as caught:
        import_markdown("---\n" + ALIAS_BOMB + "title: *g\n---\n" + PAGE, file="bomb.md")
    assert time.monotonic() - started < 1
    assert str(caught.value.problems[0]).startswith("bomb.md:") and "aliases are expanded" in str(caught.value)


def test_an_alias_bomb_in_a_yaml_order_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "page.yaml").write_text(ALIAS_BOMB + "order: *g\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"page.yaml:\d+: YAML syntax: .*aliases are expanded"):
        load_yaml(tmp_path)


def test_twenty_thousand_nested_divs_are_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(KnowledgeError, match="nested too deeply"):
        import_markdown(PAGE + "\n\n" + "<div>" * 20_000 + "x" + "</div>" * 20_000 + "\n", file="divs.md")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("id: x\ndate: 2024-13-45\n", 2, "not a real date"),
        ("id: x\nn: " + "9" * 100_000 + "\n", 2, "more than 40 digits"),
        ("id: x\nn: " + "[" * 5000 + "]" * 5000 + "\n", 2, "nested more than 64 deep"),
        ("a: &a [*a]\n", 1, "aliases|refers to itself"),
        ("a: [unclosed\n", 1, "expected"),
    ],
)
def test_hostile_yaml_is_a_line_error_everywhere(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(YamlError, match=message) as caught:
        load_bounded(text)
    assert caught.value.line == line or "unclosed" in text
    entry = tmp_path / "entry.yaml"
    entry.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=rf"entry.yaml:\d+: YAML syntax"):
        load_yaml(entry)
    with pytest.raises(KnowledgeError, match=r"front.md:\d+: front matter is not valid YAML"):
        import_markdown("---\n" + text + "---\n" + PAGE, file="front.md")
    with pytest.raises(ConfigError, match=r"line \d+: invalid YAML"):
        load_config(entry)


def test_kb_check_reports_a_hostile_file_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    (tmp_path / "entry.yaml").write_text("id: x\ndate: 2024-13-45\n", encoding="utf-8")
    assert cmd_kb(argparse.Namespace(sources=[str(tmp_path)])) == 1
    err = capsys.readouterr().err
    assert "entry.yaml:2:" in err and "Traceback" not in err


def test_an_impossible_date_in_a_knowledge_field_is_a_located_error(tmp_path: Path) -> None:
    import shutil

    from knowledge.loading import BUNDLED_DIR

    pack = tmp_path / "pack"
    shutil.copytree(BUNDLED_DIR, pack)
    page = (pack / "page.yaml").read_text(encoding="utf-8")
    (pack / "page.yaml").write_text(page.replace('date: "2022-11"', 'date: "2022-13"'), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"page.yaml:8: source.date: '2022-13' is not a real date"):
        load_yaml(pack)


# -- secrets and the last good copy ------------------------------------------------------------


def test_a_secret_in_a_source_url_is_never_shown(server: str) -> None:
    url = server + "/page.md?token=s3cret#frag"
    kb = load_sources([url])
    engine = Engine(kb)
    assert public_source(url) == server + "/page.md"
    assert all("s3cret" not in source.url and "s3cret" not in source.file for source in kb.sources)
    assert all("s3cret" not in entry.source.url for entry in kb.entries)
    for question in ("!sources", "!info parrot"):
        assert "s3cret" not in engine.answer(question, "en").text
    with pytest.raises(KnowledgeError) as caught:
        load_sources([server + "/missing.md?token=s3cret"])
    assert "s3cret" not in str(caught.value)
    assert public_source("https://user:pw@example.org:8443/p.md?k=v#x") == "https://example.org:8443/p.md"


def test_the_last_good_copy_is_used_when_a_source_is_down(server: str, tmp_path: Path) -> None:
    cache = SourceCache(tmp_path / "cache")
    url = server + "/page.md?token=s3cret"
    fresh = load_sources([url], cache=cache)
    stale: list[str] = []
    down = "http://127.0.0.1:9/page.md?token=s3cret"  # nothing listens on the discard port
    with pytest.raises(KnowledgeError, match="no cached copy"):
        load_sources([down], cache=cache, fall_back=True, stale=stale)
    cache.put(down, cache.get(url)[0])  # type: ignore[index]
    kb = load_sources([down], cache=cache, fall_back=True, stale=stale)
    assert [e.id for e in kb.entries] == [e.id for e in fresh.entries]
    assert len(stale) == 1 and "using the copy saved" in stale[0] and "s3cret" not in stale[0]
    with pytest.raises(KnowledgeError):  # without fall_back (a refresh), a source down fails
        load_sources([down], cache=cache)


# -- echoes ------------------------------------------------------------------------------------


def test_echoes_are_cut_and_cleaned() -> None:
    assert echo("a" * 10_000) == "a" * 39 + "…"
    assert echo("sig\u202enal\u200b\u3164 x\u2800y") == "signal xy"
    assert echo("  two   words ") == "two words"
    engine = Engine(load_sources([]))
    reply = engine.answer("!" + "x" * 10_000, "en")
    assert len(reply.text) < 2000 and "x" * 41 not in reply.text
    reply = engine.answer("!info \u202e" + "q" * 500, "en")
    assert "\u202e" not in reply.text and "q" * 41 not in reply.text


@pytest.mark.parametrize(
    "text",
    [
        ALIAS_BOMB + "title: *g\n",
        "a: &x 1\nb: [" + ", ".join(["*x"] * 250) + "]\n",
        "a: " + "[" * 70 + "]" * 70 + "\n",
        "x: 1\na: " + "[" * 5000 + "]" * 5000 + "\n",
        "a: &a [*a]\n",
        "d: 2024-13-45\n",
        "n: " + "9" * 100 + "\n",
    ],
)
def test_libyaml_s_loader_holds_the_same_bounds(text: str) -> None:
    """load_bounded's default (libyaml, for a whole site's front matter) refuses what the
    pure-Python bounded loader refuses, with the same reason."""
    from knowledge.yaml_safe import BoundedLoader, FastBoundedLoader

    reasons = []
    for loader in (BoundedLoader, FastBoundedLoader):
        with pytest.raises(YamlError) as caught:
            load_bounded(text, loader)
        reasons.append(caught.value.message)
    assert reasons[0] == reasons[1]


def test_libyaml_s_loader_reads_what_the_pure_loader_reads() -> None:
    from knowledge.yaml_safe import BoundedLoader

    text = "a: {b: {c: [1, 2, {d: e}]}}\nf: 2024-01-02\nanchor: &x [yes, no]\nagain: *x\nn: 12\n"
    assert load_bounded(text) == load_bounded(text, BoundedLoader)
