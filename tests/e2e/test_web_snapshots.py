"""The Snapshots panel in a real browser (Debian's Chromium through Playwright) against a real node.

A person backs up a folder through the page, sees the snapshot listed, browses it, restores it (the
whole snapshot, again with "overwrite", and one sub-folder) into empty folders, and the bytes match.
Wrong input is answered inline with the server's reason. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser import CHROMIUM, DESKTOP, MOBILE, XSS_NAME, launch, settle, unlabelled_controls

from nodeproc import NodeProcess

pytestmark = pytest.mark.slow


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: the browser tests need Debian's chromium package")
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)  # a loaded machine runs the whole suite alongside


def _overflowing(page: Any) -> list[str]:
    """Visible elements inside the Snapshots panel or an open dialog that stick out past the viewport."""
    return list(page.evaluate(
        """() => [...document.querySelectorAll('#snapshots-panel *, dialog[open] *')]
             .filter((e) => e.getClientRects().length && !e.closest('.visually-hidden'))
             .filter((e) => { const r = e.getBoundingClientRect(); return r.left < -1 || r.right > innerWidth + 1; })
             .map((e) => `${e.tagName.toLowerCase()}.${e.className}`)"""
    ))


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _make_source(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    src = tmp_path / "home" / "my docs"
    (src / "sub" / "deeper").mkdir(parents=True)
    files = {
        "a.txt": b"hello snapshot\n",
        "sub/b.bin": os.urandom(700_000),
        "sub/deeper/c.txt": b"c" * 4321,
        XSS_NAME: b"just text",
    }
    for rel, data in files.items():
        (src / rel).write_bytes(data)
    (src / "scratch.tmp").write_bytes(b"excluded")
    return src, files


def test_back_up_browse_and_restore_through_the_page(make_node: Any, artifacts: Path, tmp_path: Path) -> None:
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    node: NodeProcess = make_node("a")
    src, files = _make_source(tmp_path)
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
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.set_default_timeout(20_000)
            page.goto(f"{node.web}/")
            expect(page.locator("#live-pill")).to_have_attribute("data-state", "live")
            panel = page.locator("#snapshots-panel")
            expect(panel.locator("#snapshot-empty")).to_be_visible()
            expect(panel.locator("#snapshot-empty")).to_contain_text("No snapshots yet")

            # The backup modal: a relative path and a missing folder are refused inline.
            page.get_by_role("button", name="Back up a folder").click()
            backup = page.locator("#backup-dialog")
            expect(backup).to_be_visible()
            expect(page.locator("#backup-path")).to_be_focused()
            error = page.locator("#backup-error")
            page.fill("#backup-path", "relative/folder")
            page.keyboard.press("Enter")
            expect(error).to_contain_text("not an absolute path")
            expect(page.locator("#backup-path")).to_have_attribute("aria-invalid", "true")
            missing = tmp_path / "no such folder"
            page.fill("#backup-path", str(missing))
            with page.expect_response(lambda r: r.url.endswith("/api/v1/backups")) as info:
                page.get_by_role("button", name="Start backup").click()
            assert info.value.status == 400
            expect(error).to_contain_text("source not found")
            expect(error).to_contain_text(str(missing))
            expect(backup).to_be_visible()

            # The real folder, with an exclude glob: the job shows progress, then the snapshot is listed.
            page.fill("#backup-path", str(src))
            page.fill("#backup-exclude", "*.tmp\n")
            page.get_by_role("button", name="Start backup").click()
            expect(backup).to_be_hidden()
            job = page.locator('#job-list .job[data-kind="backup"]')
            expect(job).to_have_count(1)
            expect(job).to_have_attribute("data-state", "done")
            expect(job.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
            snaps = httpx.get(f"{node.web}/api/v1/snapshots", timeout=10).json()["snapshots"]
            assert len(snaps) == 1
            snap = snaps[0]
            assert snap["files"] == len(files) and snap["paths"] == [str(src)]
            expect(job.locator(".job-detail")).to_contain_text(f"snapshot {snap['short_id']}")
            rows = page.locator("#snapshot-list .snapshot")
            expect(rows).to_have_count(1)
            row = rows.first
            expect(row).to_have_attribute("data-id", snap["id"])
            expect(row.locator(".snap-id")).to_have_text(snap["short_id"])
            expect(row.locator(".snap-host")).to_have_text(snap["host"])
            expect(row.locator(".snap-paths")).to_have_text(str(src))
            expect(row.locator(".snap-meta")).to_contain_text(str(len(files)))
            expect(row.locator(".snap-meta")).to_contain_text("688 KiB")
            expect(row.locator(".badge-partial")).to_have_count(0)
            expect(page.locator("#snapshot-empty")).to_be_hidden()
            expect(page.locator("#snapshot-summary")).to_contain_text("1 snapshot")
            expect(page.locator('#log .log-line[data-kind="backup"]', has_text="done")).to_have_count(1)

            # Browse: the source folder first; into sub/, and back by the breadcrumb.
            page.get_by_role("button", name=f"Browse snapshot {snap['short_id']}").click()
            drawer = page.locator("#snapshot-drawer")
            expect(drawer).to_be_visible()
            expect(page.locator("#snapshot-drawer-title")).to_have_text(f"Snapshot {snap['short_id']}")
            expect(page.locator("#snapshot-drawer-paths")).to_have_text(str(src))
            expect(page.locator("#browse-crumbs .crumb-current")).to_have_text(src.name)
            expect(page.locator("#browse-crumbs .crumb-current")).to_have_attribute("title", str(src))
            entries = page.locator("#browse-list .browse-row")
            expect(entries).to_have_count(3)  # sub/, a.txt, the HTML-looking name; not scratch.tmp
            expect(entries.first).to_have_attribute("data-type", "dir")
            expect(entries.first.locator(".browse-meta")).to_contain_text("2 files")
            expect(page.locator("#browse-list .name-text", has_text=XSS_NAME)).to_have_count(1)
            expect(page.locator("#browse-list")).not_to_contain_text("scratch.tmp")
            page.get_by_role("button", name="Open folder sub").click()
            expect(page.locator("#browse-crumbs .crumb-current")).to_have_text("sub")
            expect(entries).to_have_count(2)
            expect(page.locator('#browse-list .browse-row[data-type="file"]')).to_contain_text("684 KiB")
            expect(page.get_by_role("button", name="Restore folder sub")).to_be_visible()
            settle(page)
            page.screenshot(path=str(artifacts / "web-snapshots-browse.png"))
            page.locator("#browse-crumbs .crumb-button", has_text=src.name).click()
            expect(page.locator("#browse-crumbs .crumb-current")).to_have_text(src.name)
            expect(entries).to_have_count(3)

            def start_restore() -> Any:
                """Press "Start restore"; the job's card, found by the id the node answered with."""
                with page.expect_response(lambda r: r.url.endswith("/api/v1/restores")) as started:
                    page.get_by_role("button", name="Start restore").click()
                assert started.value.status == 200, started.value.text()
                return page.locator(f'#job-list .job[data-job="{started.value.json()["id"]}"]')

            # Restore the whole snapshot into an empty folder: full paths kept under the target.
            target = tmp_path / "restored"
            page.locator("#browse-restore").click()
            restore = page.locator("#restore-dialog")
            expect(restore).to_be_visible()
            expect(page.locator("#restore-source")).to_contain_text(str(src))
            page.fill("#restore-target", str(target))
            expect(page.locator("#restore-lands")).to_contain_text(f"{target}{src}")
            restore_job = start_restore()
            expect(restore).to_be_hidden()
            expect(drawer).to_be_hidden()
            expect(restore_job).to_have_attribute("data-state", "done")
            expect(restore_job.locator(".job-detail")).to_contain_text(f"{len(files)} files")
            assert _tree(target / src.relative_to("/")) == files

            # Again into the same folder: refused inline before writing; with "overwrite" it runs.
            (target / src.relative_to("/") / "a.txt").write_bytes(b"changed since")
            page.locator("#snapshot-list").get_by_role("button", name=f"Restore snapshot {snap['short_id']}").click()
            expect(restore).to_be_visible()
            expect(page.locator("#restore-target")).to_have_value(str(target))  # remembered
            expect(page.locator("#restore-overwrite")).not_to_be_checked()
            page.get_by_role("button", name="Start restore").click()
            restore_error = page.locator("#restore-error")
            expect(restore_error).to_contain_text("files exist")
            expect(restore_error).to_contain_text("Overwrite existing files")
            expect(restore).to_be_visible()
            assert (target / src.relative_to("/") / "a.txt").read_bytes() == b"changed since"
            settle(page)
            page.screenshot(path=str(artifacts / "web-snapshots-restore-error.png"))
            page.get_by_label("Overwrite existing files").check()
            expect(restore_error).to_be_hidden()
            restore_job = start_restore()
            expect(restore).to_be_hidden()
            expect(restore_job).to_have_attribute("data-state", "done")
            assert _tree(target / src.relative_to("/")) == files

            # One folder from the drawer: it lands under its own name.
            page.get_by_role("button", name=f"Browse snapshot {snap['short_id']}").click()
            expect(drawer).to_be_visible()
            expect(entries).to_have_count(3)
            page.get_by_role("button", name="Restore sub").click()
            expect(restore).to_be_visible()
            expect(page.locator("#restore-title")).to_have_text("Restore sub")
            expect(page.locator("#restore-source")).to_have_text(f"{src}/sub")
            one = tmp_path / "one folder"
            page.fill("#restore-target", str(one))
            expect(page.locator("#restore-lands")).to_contain_text(f"{one}/sub")
            restore_job = start_restore()
            expect(restore_job).to_have_attribute("data-state", "done")
            assert _tree(one) == {k: v for k, v in files.items() if k.startswith("sub/")}

            # A partial snapshot shows a badge; its errors (as text) on demand. The list is the server's,
            # marked partial on its way to the page (a readable folder cannot fail to back up).
            bad = [f"{src}/locked: permission denied", XSS_NAME]

            def partial(route: Any) -> None:
                body = route.fetch().json()
                for s in body["snapshots"]:
                    s.update(partial=True, errors=bad)
                route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

            page.route("**/api/v1/snapshots", partial)
            page.get_by_role("button", name="Refresh snapshots").click()
            badge = row.locator(".badge-partial")
            expect(badge).to_be_visible()
            expect(badge).to_have_attribute("aria-expanded", "false")
            badge.click()
            expect(badge).to_have_attribute("aria-expanded", "true")
            expect(row.locator(".snap-errors li")).to_have_text(bad)
            settle(page)
            assert page.locator("#snapshots-panel img").count() == 0
            assert unlabelled_controls(page) == []
            expect(page.locator("#toasts .toast")).to_have_count(0)  # the "restored" notices have gone
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(artifacts / "web-snapshots.png"), full_page=True)

            # The light theme.
            page.get_by_role("button", name="Switch to light theme").click()
            expect(page.locator("html")).to_have_attribute("data-theme", "light")
            settle(page)  # the colour transitions, too
            page.screenshot(path=str(artifacts / "web-snapshots-light.png"), full_page=True)
            page.get_by_role("button", name="Switch to dark theme").click()

            # A phone's width: nothing overflows sideways, in the panel, the drawer or the modal.
            page.set_viewport_size(MOBILE)
            expect(row).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
            assert _overflowing(page) == []
            # Finished jobs can be dismissed; the list hides when it is empty.
            dismiss = page.locator("#job-list").get_by_role("button", name="Dismiss:")
            while dismiss.count():
                dismiss.first.click()
            expect(page.locator("#job-list")).to_be_hidden()
            settle(page)
            page.evaluate("window.scrollTo(0, document.querySelector('#snapshots-panel').offsetTop - 64)")
            page.screenshot(path=str(artifacts / "web-snapshots-mobile.png"))
            page.get_by_role("button", name=f"Browse snapshot {snap['short_id']}").click()
            expect(entries).to_have_count(3)
            settle(page)
            assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
            assert _overflowing(page) == []
            page.screenshot(path=str(artifacts / "web-snapshots-mobile-browse.png"))
            page.locator("#browse-restore").click()
            expect(restore).to_be_visible()
            settle(page)
            assert _overflowing(page) == []
            page.keyboard.press("Escape")
            expect(restore).to_be_hidden()
            page.keyboard.press("Escape")
            expect(drawer).to_be_hidden()

            assert dialogs == [], f"a JavaScript dialog fired: {dialogs}"
            assert page_errors == [], f"uncaught errors in the page: {page_errors}"
            # Chromium logs each answered 400 to the console: exactly the two refusals above, nothing else.
            refused = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
            assert console_errors.count(refused) == 2, console_errors
            assert [e for e in console_errors if e != refused] == [], f"console errors: {console_errors}"
            context.close()
        finally:
            browser.close()
