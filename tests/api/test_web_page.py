"""The web page as the node serves it: GET / and every asset it references, in process.

Also the rules that keep the page safe under its CSP: no inline script, style or event handler in
the HTML, and no script that turns data into markup (innerHTML and friends).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path, PurePosixPath

import httpx
import pytest

from dlbs.api.app import create_web_app
from dlbs.service import NodeService

STATIC = Path(str(resources.files("dlbs.web") / "static"))
IMPORT = re.compile(r"""(?:^|\s)(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\s*["']([^"']+)["']""",
                    re.MULTILINE)
CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html"}


class _Page(HTMLParser):
    """Collects asset references and anything the CSP would refuse (inline code and styles)."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in a:
            if name == "style" or name.startswith("on"):
                self.inline.append(f"<{tag} {name}=...>")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script":
            self._in_script = "src" not in a
            if a.get("src"):
                self.assets.append(str(a["src"]))
        if tag == "link" and a.get("href"):
            self.assets.append(str(a["href"]))
        if tag == "img" and a.get("src"):
            self.assets.append(str(a["src"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("<script> with inline code")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[NodeService]:
    """A node opened in this process (no sockets): enough to build its web app."""
    node = NodeService.open(tmp_path / "node")
    try:
        yield node
    finally:
        node.close()


def _get_all(node: NodeService, first: list[str]) -> dict[str, httpx.Response]:
    """GET `first` and, transitively, every module a fetched script imports."""

    async def crawl() -> dict[str, httpx.Response]:
        seen: dict[str, httpx.Response] = {}
        todo = list(first)
        transport = httpx.ASGITransport(app=create_web_app(node))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:5000") as client:
            while todo:
                url = todo.pop()
                if url in seen:
                    continue
                seen[url] = r = await client.get(url)
                if url.endswith(".js") and r.status_code == 200:
                    for m in IMPORT.finditer(r.text):
                        spec = m.group(1) or m.group(2)
                        assert spec.startswith(("./", "/")), f"{url} imports {spec}: not a local module"
                        todo.append(str(PurePosixPath(url).parent / spec) if spec.startswith("./") else spec)
        return seen

    return asyncio.run(crawl())


def test_the_page_and_every_asset_it_references_are_served(service: NodeService) -> None:
    index = _get_all(service, ["/"])["/"]
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    csp = index.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp

    page = _Page()
    page.feed(index.text)
    assert page.inline == [], "the CSP would block these; move them into files"
    assert "/static/app.css" in page.assets and "/static/js/main.js" in page.assets
    assert all(a.startswith("/static/") for a in page.assets), page.assets

    responses = _get_all(service, page.assets)
    for url, r in responses.items():
        assert r.status_code == 200, f"{url}: {r.status_code}"
        assert CONTENT_TYPES[PurePosixPath(url).suffix] in r.headers["content-type"], (url, r.headers["content-type"])

    # Every shipped module is reachable from the page: no dead files, none missing from the crawl.
    shipped = {f"/static/{p.relative_to(STATIC).as_posix()}" for p in STATIC.rglob("*.js")}
    assert shipped == {u for u in responses if u.endswith(".js")}


def test_scripts_never_turn_data_into_markup() -> None:
    """File names, node names and log lines must stay text: no API in the page parses HTML."""
    forbidden = re.compile(r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|createContextualFragment"
                           r"|DOMParser|\beval\(|new Function\(")
    offenders = [f"{p.name}:{n}: {line.strip()}"
                 for p in sorted(STATIC.rglob("*.js"))
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
                 if forbidden.search(line)]
    assert offenders == []
