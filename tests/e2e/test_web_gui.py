"""The web page in a real browser (Debian's Chromium through Playwright) against a real node process.

One walk through what a user does: upload by the file picker, read the list, open a file's history,
restore, delete with confirmation, sync, watch the live log, upload a file whose name looks like
HTML, switch theme, shrink to a phone's width, change settings. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser import CHROMIUM, DESKTOP, MOBILE, XSS_NAME, launch, settle, unlabelled_controls

from nodeproc import NodeProcess, wait_for

pytestmark = pytest.mark.slow


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: the browser tests need Debian's chromium package")
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # a loaded machine runs the whole suite alongside


def _listed(node: NodeProcess) -> dict[str, dict[str, Any]]:
    files = httpx.get(f"{node.web}/api/v1/files", timeout=10).json()["files"]
    return {f["path"]: f for f in files}


def test_web_gui_against_a_real_node(make_node: Any, artifacts: Path, tmp_path: Path) -> None:
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    node = make_node("a")
    up = tmp_path / "uploads"
    up.mkdir()
    alpha, beta = up / "alpha.txt", up / "beta.bin"
    alpha.write_bytes(b"a" * 1234)
    beta.write_bytes(os.urandom(300_000))
    alpha_mtime = time.mktime((2023, 1, 2, 3, 4, 5, 0, 0, -1))
    os.utime(alpha, (alpha_mtime, alpha_mtime))

    console_errors: list[str] = []
    page_errors: list[str] = []
    dialogs: list[str] = []

    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(viewport=DESKTOP)
            page = context.new_page()
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))

            def on_dialog(d: Any) -> None:
                dialogs.append(f"{d.type}: {d.message}")
                d.dismiss()

            page.on("dialog", on_dialog)
            page.set_default_timeout(15_000)
            page.goto(f"{node.web}/")
            page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
            expect(page.locator("#live-pill")).to_have_attribute("data-state", "live")

            # A one-node cluster: this node is shown, with an honest hint about adding peers.
            node_name = httpx.get(f"{node.web}/api/v1/status", timeout=10).json()["node_name"]
            expect(page.locator("#node-list .node-self .node-name")).to_have_text(node_name)
            expect(page.locator("#no-peers")).to_contain_text("dlbs invite")
            expect(page.locator("#no-peers")).to_contain_text("dlbs join")
            expect(page.locator("#file-empty")).to_be_visible()

            # Upload two files with the file picker: listed with human sizes, mtime kept.
            page.set_input_files("#file-input", [str(alpha), str(beta)])
            row_a = page.locator('#file-rows tr[data-path="alpha.txt"]')
            row_b = page.locator('#file-rows tr[data-path="beta.bin"]')
            expect(row_a.locator(".col-size")).to_have_text("1.21 KiB")
            expect(row_b.locator(".col-size")).to_have_text("293 KiB")
            expect(row_a.locator(".col-versions")).to_have_text("v1")
            expect(page.locator("#upload-list .upload[data-state=done]")).to_have_count(2)
            listed = _listed(node)
            assert listed["alpha.txt"]["size"] == 1234 and listed["beta.bin"]["size"] == 300_000
            assert listed["alpha.txt"]["mtime_ns"] // 1_000_000 == int(alpha_mtime * 1000)
            expect(row_a.locator(".hash")).to_have_text(listed["alpha.txt"]["sha256"][:10])

            # The statistics follow.
            expect(page.locator('.stat[data-stat="files"] .stat-value')).to_have_text("2")
            expect(page.locator('.stat[data-stat="nodes"] .stat-value')).to_have_text("1 / 1")
            expect(page.locator('.stat[data-stat="integrity"] .stat-value')).to_have_text("0")

            # A second version of alpha.txt, then its history: both versions, newest first.
            alpha.write_bytes(b"b" * 2000)
            page.set_input_files("#file-input", [str(alpha)])
            expect(row_a.locator(".col-versions")).to_have_text("v2")
            expect(row_a.locator(".col-size")).to_have_text("1.95 KiB")
            page.get_by_role("button", name="History of alpha.txt").click()
            drawer = page.locator("#history-drawer")
            expect(drawer).to_be_visible()
            expect(page.locator("#history-path")).to_have_text("alpha.txt")
            versions = page.locator("#history-list .version")
            expect(versions).to_have_count(2)
            expect(versions.nth(0)).to_have_attribute("data-version", "2")
            expect(versions.nth(0).locator(".badge-current")).to_be_visible()
            expect(versions.nth(1).locator(".version-meta")).to_contain_text("1.21 KiB")
            expect(versions.nth(1).locator(".version-meta dd").nth(1)).to_have_text(node_name)  # origin
            href = page.get_by_role("link", name="Download version 1 of alpha.txt").get_attribute("href")
            assert href == "/api/v1/files/alpha.txt?version=1"
            assert httpx.get(f"{node.web}{href}", timeout=10).content == b"a" * 1234

            # Restore version 1: a third version with the old bytes.
            page.get_by_role("button", name="Restore version 1 of alpha.txt").click()
            expect(versions).to_have_count(3)
            expect(versions.nth(0).locator(".badge-current")).to_be_visible()
            settle(page)
            page.screenshot(path=str(artifacts / "web-history.png"))
            page.locator("#history-close").click()
            expect(drawer).to_be_hidden()
            expect(row_a.locator(".col-size")).to_have_text("1.21 KiB")
            expect(row_a.locator(".col-versions")).to_have_text("v3")
            assert httpx.get(f"{node.web}/api/v1/files/alpha.txt", timeout=10).content == b"a" * 1234

            # Delete: by keyboard, Escape cancels; then confirm with the dialog's button.
            delete_b = page.get_by_role("button", name="Delete beta.bin")
            delete_b.focus()
            page.keyboard.press("Enter")
            confirm = page.locator("#confirm-dialog")
            expect(confirm).to_be_visible()
            expect(page.locator("#confirm-text")).to_contain_text("beta.bin")
            page.keyboard.press("Escape")
            expect(confirm).to_be_hidden()
            assert "beta.bin" in _listed(node)
            delete_b.click()
            expect(confirm).to_be_visible()
            page.locator("#confirm-ok").click()
            expect(row_b).to_have_count(0)
            wait_for(lambda: "beta.bin" not in _listed(node), timeout=10, what="beta.bin to be deleted")

            # Sync now: POST /api/sync answers 200 with per-node results, shown in the panel.
            with page.expect_response(lambda r: r.url.endswith("/api/sync")) as sync_info:
                page.get_by_role("button", name="Sync now").click()
            sync_response = sync_info.value
            assert sync_response.status == 200, sync_response.text()
            assert isinstance(sync_response.json()["results"], list)
            expect(page.locator("#sync-result")).to_be_visible()
            expect(page.locator("#sync-result .sync-result-title")).not_to_be_empty()

            # The activity log is live: a change made elsewhere shows up without a reload.
            httpx.put(f"{node.web}/api/v1/files/from-elsewhere.txt", content=b"hi", timeout=10).raise_for_status()
            expect(page.locator("#log .log-line", has_text="Stored from-elsewhere.txt")).to_have_count(1)
            expect(page.locator('#log .log-line[data-level="warning"]', has_text="Deleted beta.bin")).to_have_count(1)
            expect(page.locator('#file-rows tr[data-path="from-elsewhere.txt"]')).to_have_count(1)
            assert page.evaluate("window.__sameDocument") is True

            # A file named like HTML is shown as that text, everywhere, and runs nothing.
            page.set_input_files("#file-input", files=[{"name": XSS_NAME, "mimeType": "text/plain", "buffer": b"x"}])
            xss_row = page.locator(f'#file-rows tr[data-path="{XSS_NAME}"]')
            expect(xss_row.locator(".name-text")).to_have_text(XSS_NAME)
            expect(page.locator("#log .log-message", has_text=XSS_NAME)).to_have_count(1)
            page.get_by_role("button", name=f"History of {XSS_NAME}").click()
            expect(page.locator("#history-path")).to_have_text(XSS_NAME)
            page.keyboard.press("Escape")
            expect(drawer).to_be_hidden()
            assert page.locator("main img, #log img, #history-drawer img").count() == 0
            assert XSS_NAME in _listed(node)

            # Folders: the filter searches the subtree; breadcrumbs lead in and back out.
            httpx.put(f"{node.web}/api/v1/files/photos/2024/beach.jpg", content=b"jpeg", timeout=10).raise_for_status()
            folder = page.locator('#file-rows tr.folder-row[data-path="photos"]')
            expect(folder).to_have_count(1)
            page.fill("#file-filter", "beach")
            expect(page.locator("#file-rows tr")).to_have_count(1)
            expect(page.locator("#file-rows .name-text")).to_have_text("photos/2024/beach.jpg")
            page.fill("#file-filter", "")
            folder.get_by_role("button", name="Open folder photos").first.click()
            expect(page.locator("#breadcrumbs .crumb-current")).to_have_text("photos")
            expect(page.locator('#file-rows tr.folder-row[data-path="photos/2024"]')).to_have_count(1)
            page.locator("#breadcrumbs a.crumb", has_text="All files").click()
            expect(page.locator("#breadcrumbs .crumb-current")).to_have_text("All files")
            expect(row_a).to_have_count(1)

            assert unlabelled_controls(page) == []
            page.screenshot(path=str(artifacts / "web-desktop.png"), full_page=True)

            # The light theme, remembered across a reload.
            page.get_by_role("button", name="Switch to light theme").click()
            expect(page.locator("html")).to_have_attribute("data-theme", "light")
            page.reload()
            expect(page.locator("html")).to_have_attribute("data-theme", "light")
            expect(page.locator("#live-pill")).to_have_attribute("data-state", "live")
            expect(row_a).to_have_count(1)
            page.screenshot(path=str(artifacts / "web-light.png"), full_page=True)
            page.get_by_role("button", name="Switch to dark theme").click()
            expect(page.locator("html")).to_have_attribute("data-theme", "dark")

            # A phone's width: nothing overflows sideways, the drawer included.
            page.set_viewport_size(MOBILE)
            expect(row_a).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
            page.get_by_role("button", name="History of alpha.txt").click()
            expect(versions).to_have_count(3)
            settle(page)
            assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
            box = drawer.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= MOBILE["width"]
            page.keyboard.press("Escape")
            expect(drawer).to_be_hidden()
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(artifacts / "web-mobile.png"), full_page=True)

            assert dialogs == [], f"a JavaScript dialog fired: {dialogs}"
            assert page_errors == [], f"uncaught errors in the page: {page_errors}"
            assert console_errors == [], f"console errors: {console_errors}"
            context.close()
        finally:
            browser.close()


def test_settings_modal_shows_the_servers_detail_and_saves(make_node: Any, artifacts: Path) -> None:
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    node = make_node("a")
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport=DESKTOP)
            page_errors: list[str] = []
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.set_default_timeout(15_000)
            page.goto(f"{node.web}/")
            page.get_by_role("button", name="Manage").click()
            dialog = page.locator("#settings-dialog")
            expect(dialog).to_be_visible()
            expect(page.locator("#peer-edit-list")).to_contain_text("No peers configured")

            # Invalid address: the server's detail inline, nothing saved.
            page.fill("#add-node-input", "not an address")
            page.get_by_role("button", name="Add node").click()
            error = page.locator("#nodes-error")
            expect(error).to_be_visible()
            expect(error).to_contain_text("is not host:port")
            settle(page)
            page.screenshot(path=str(artifacts / "web-settings.png"))
            assert httpx.get(f"{node.web}/api/v1/config", timeout=10).json()["nodes"] == []

            # A valid address is added (a closed local port: nothing answers), then removed.
            page.fill("#add-node-input", "127.0.0.1:9")
            page.get_by_role("button", name="Add node").click()
            expect(page.locator("#peer-edit-list .peer-edit-address")).to_have_text(["127.0.0.1:9"])
            expect(error).to_be_hidden()
            assert httpx.get(f"{node.web}/api/v1/config", timeout=10).json()["nodes"] == ["127.0.0.1:9"]
            page.get_by_role("button", name="Remove node 127.0.0.1:9").click()
            expect(page.locator("#peer-edit-list")).to_contain_text("No peers configured")
            assert httpx.get(f"{node.web}/api/v1/config", timeout=10).json()["nodes"] == []

            # Schedule: too short an interval is refused with the server's reason; a good one is saved.
            page.select_option("#schedule-select", "custom")
            page.fill("#schedule-seconds", "5")
            page.get_by_role("button", name="Save").click()
            sync_error = page.locator("#sync-error")
            expect(sync_error).to_contain_text("at least 10")
            page.fill("#schedule-seconds", "120")
            page.fill("#replicas-input", "2")
            page.get_by_role("button", name="Save").click()
            expect(page.locator("#sync-saved")).to_have_text("Saved")
            expect(sync_error).to_be_hidden()
            cfg = httpx.get(f"{node.web}/api/v1/config", timeout=10).json()
            assert cfg["sync"]["schedule"] == 120 and cfg["replicas"] == 2

            # Empty replicas means every node (null); the schedule goes back to daily.
            page.select_option("#schedule-select", "daily")
            page.fill("#replicas-input", "")
            page.get_by_role("button", name="Save").click()
            wait_for(lambda: httpx.get(f"{node.web}/api/v1/config", timeout=10).json()["replicas"] is None,
                     timeout=10, what="replicas to be reset to every node")
            cfg = httpx.get(f"{node.web}/api/v1/config", timeout=10).json()
            assert cfg["sync"]["schedule"] == "daily"
            page.keyboard.press("Escape")
            expect(dialog).to_be_hidden()
            assert page_errors == []
        finally:
            browser.close()


def test_a_page_from_another_origin_cannot_change_the_node(make_node: Any) -> None:
    """A real browser on another origin posts to this node: refused, nothing changes.

    The other origin is a second node's /health document: the dlbs page itself would not even send
    the request (its CSP allows connections to its own origin only), so this reaches the server.
    """
    _require_chromium()
    from playwright.sync_api import sync_playwright

    target, other = make_node("a"), make_node("b")
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page()
            page.goto(f"{other.web}/health")
            body = json.dumps({"nodes": ["127.0.0.1:9"]})
            result = page.evaluate(
                """async ([url, body]) => {
                     const r = await fetch(url, {method: 'POST', mode: 'no-cors', body,
                                                 headers: {'Content-Type': 'text/plain'}});
                     return r.type;
                   }""",
                [f"{target.web}/api/nodes", body],
            )
            assert result == "opaque"  # the browser sent it; the node must have refused it
        finally:
            browser.close()
    assert httpx.get(f"{target.web}/api/v1/config", timeout=10).json()["nodes"] == []
    # The same request from the node's own origin is accepted, so the refusal was about the origin.
    same = httpx.post(f"{target.web}/api/nodes", content=body, headers={"Origin": target.web}, timeout=10)
    assert same.status_code == 200
    cross = httpx.post(f"{target.web}/api/nodes", content=body, headers={"Origin": other.web}, timeout=10)
    assert cross.status_code == 403
