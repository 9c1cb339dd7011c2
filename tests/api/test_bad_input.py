"""Bad input on every route of both apps: a 4xx JSON error with "error" and "detail", and nothing
on disk changes (catalog versions, chunk files, recorded chunks and config.json are compared)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from apiclient import InProcessClient, assert_error, disk_state

from dlbs.service import NodeService

LONG = "a/" * 2048 + "x"  # 4097 bytes
BAD_NAMES = {
    "dotdot": "../etc/passwd",
    "dotdot-inside": "a/../../b",
    "dot": "a/./b",
    "absolute": "/etc/passwd",
    "windows-absolute": "C:\\Windows\\x",
    "nul": "a\x00b",
    "empty-segment": "a//b",
    "trailing-slash": "dir/",
    "too-long": LONG,
    "segment-too-long": "s" * 1025,
}
BODY = b"must never be stored " * 1000
JSON = {"Content-Type": "application/json"}
# A multipart filename cannot carry these as given: httpx (like browsers) sends NUL as "%00", and
# python-multipart keeps only the last component of a Windows path ("C:\\a\\x" arrives as "x").
MULTIPART_MANGLED = {"nul", "windows-absolute"}
# The form's folder field is normalised on purpose ("/docs/" is the folder "docs").
FOLDER_NORMALISED = {"absolute", "trailing-slash"}


def q(name: str) -> str:
    return quote(name, safe="")


def node_route_requests() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(id, method, url, kwargs) of bad requests to the v2.0 node routes (peer and web apps)."""
    reqs = []
    for key, name in BAD_NAMES.items():
        reqs += [
            (f"upload-{key}", "POST", "/upload", {"content": BODY, "headers": {"Filename": q(name)}}),
            (f"download-{key}", "GET", "/download", {"params": {"filename": name}}),
            (f"delete-{key}", "POST", "/delete", {"json": {"filename": name}}),
        ]
    reqs += [
        ("upload-empty-name", "POST", "/upload", {"content": BODY, "headers": {"Filename": ""}}),
        ("upload-no-name", "POST", "/upload", {"content": BODY}),
        ("upload-bad-percent-encoding", "POST", "/upload", {"content": BODY, "headers": {"Filename": "%ff%fe.txt"}}),
        ("download-no-name", "GET", "/download", {}),
        ("download-empty-name", "GET", "/download", {"params": {"filename": ""}}),
        ("delete-malformed-json", "POST", "/delete", {"content": b"{not json", "headers": JSON}),
        ("delete-missing-field", "POST", "/delete", {"json": {"name": "keep.txt"}}),
        ("delete-wrong-type", "POST", "/delete", {"json": {"filename": 42}}),
        ("delete-not-an-object", "POST", "/delete", {"json": ["keep.txt"]}),
        ("delete-empty-body", "POST", "/delete", {}),
        ("delete-empty-name", "POST", "/delete", {"json": {"filename": ""}}),
        ("delete-unknown", "POST", "/delete", {"json": {"filename": "nothing-here.txt"}}),
        ("wrong-method-upload", "GET", "/upload", {}),
        ("wrong-method-files", "POST", "/files", {"content": BODY}),
        ("wrong-method-delete", "DELETE", "/delete", {}),
        ("wrong-method-download", "PUT", "/download", {"content": BODY}),
        ("unknown-route", "GET", "/nope", {}),
    ]
    return reqs


def web_route_requests() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(id, method, url, kwargs) of bad requests to the web app's own routes."""
    reqs = []
    for key, name in BAD_NAMES.items():
        reqs += [
        ]
        if key not in MULTIPART_MANGLED:
            reqs.append((f"api-upload-{key}", "POST", "/api/upload", {"files": {"file": (name, BODY)}}))
        if key not in FOLDER_NORMALISED:
            reqs.append((f"api-upload-folder-{key}", "POST", "/api/upload",
                         {"files": {"file": ("ok.txt", BODY)}, "data": {"path": name}}))
        reqs += [
            (f"api-delete-{key}", "DELETE", f"/api/delete/{q(name)}", {}),
            (f"api-download-{key}", "GET", f"/api/download/{q(name)}", {}),
            (f"v1-put-{key}", "PUT", f"/api/v1/files/{q(name)}", {"content": BODY}),
            (f"v1-get-{key}", "GET", f"/api/v1/files/{q(name)}", {}),
            (f"v1-delete-{key}", "DELETE", f"/api/v1/files/{q(name)}", {}),
            (f"v1-history-{key}", "GET", f"/api/v1/history/{q(name)}", {}),
            (f"v1-restore-{key}", "POST", f"/api/v1/restore/{q(name)}", {"json": {"version": 1}}),
        ]
    reqs += [
        ("api-upload-not-multipart", "POST", "/api/upload", {"content": BODY}),
        ("api-upload-no-file-field", "POST", "/api/upload", {"files": {"other": ("a.txt", BODY)}}),
        ("api-upload-empty-filename", "POST", "/api/upload", {"files": {"file": ("", BODY)}}),
        ("api-upload-file-as-text", "POST", "/api/upload", {"data": {"file": "not a file"},
                                                           "files": {"x": ("a", b"a")}}),
        ("api-upload-broken-multipart", "POST", "/api/upload",
         {"content": b"--xyz\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=xyz"}}),
        ("api-delete-unknown", "DELETE", "/api/delete/nothing.txt", {}),
        ("api-nodes-malformed-json", "POST", "/api/nodes", {"content": b'{"nodes": [', "headers": JSON}),
        ("api-nodes-missing-field", "POST", "/api/nodes", {"json": {}}),
        ("api-nodes-not-a-list", "POST", "/api/nodes", {"json": {"nodes": "1.2.3.4:8000"}}),
        ("api-nodes-not-strings", "POST", "/api/nodes", {"json": {"nodes": [1, 2]}}),
        ("api-nodes-bad-address", "POST", "/api/nodes", {"json": {"nodes": ["not an address"]}}),
        ("api-nodes-bad-port", "POST", "/api/nodes", {"json": {"nodes": ["host:99999"]}}),
        ("api-nodes-empty-body", "POST", "/api/nodes", {}),
        ("v1-put-bad-mtime", "PUT", "/api/v1/files/x.txt", {"content": BODY, "headers": {"X-Dlbs-Mtime-Ns": "soon"}}),
        ("v1-put-bad-mode", "PUT", "/api/v1/files/x.txt", {"content": BODY, "headers": {"X-Dlbs-Mode": "rwx"}}),
        ("v1-get-version-zero", "GET", "/api/v1/files/keep.txt", {"params": {"version": 0}}),
        ("v1-get-version-text", "GET", "/api/v1/files/keep.txt", {"params": {"version": "latest"}}),
        ("v1-get-version-missing", "GET", "/api/v1/files/keep.txt", {"params": {"version": 99}}),
        ("v1-restore-malformed-json", "POST", "/api/v1/restore/keep.txt", {"content": b"{", "headers": JSON}),
        ("v1-restore-no-version", "POST", "/api/v1/restore/keep.txt", {"json": {}}),
        ("v1-restore-version-text", "POST", "/api/v1/restore/keep.txt", {"json": {"version": "1"}}),
        ("v1-restore-version-bool", "POST", "/api/v1/restore/keep.txt", {"json": {"version": True}}),
        ("v1-restore-version-zero", "POST", "/api/v1/restore/keep.txt", {"json": {"version": 0}}),
        ("v1-config-malformed", "POST", "/api/v1/config", {"content": b"nope", "headers": JSON}),
        ("v1-config-unknown-key", "POST", "/api/v1/config", {"json": {"port": 1}}),
        ("v1-prefix-dotdot", "GET", "/api/v1/files", {"params": {"prefix": "../"}}),
        ("wrong-method-api-files", "DELETE", "/api/files", {}),
        ("wrong-method-api-upload", "PUT", "/api/upload", {"content": BODY}),
        ("wrong-method-api-delete", "GET", "/api/delete/keep.txt", {}),
        ("wrong-method-api-download", "POST", "/api/download/keep.txt", {"content": BODY}),
        ("wrong-method-api-stats", "POST", "/api/stats", {}),
        ("wrong-method-v1-history", "DELETE", "/api/v1/history/keep.txt", {}),
    ]
    return reqs


@pytest.fixture
def seeded(node_service: NodeService) -> NodeService:
    node_service.repo.put_bytes("keep.txt", b"keep me")
    return node_service


NODE_REQS = node_route_requests()
WEB_REQS = web_route_requests()


@pytest.mark.parametrize(("method", "url", "kw"), [r[1:] for r in NODE_REQS], ids=[r[0] for r in NODE_REQS])
def test_peer_app_refuses_bad_input(seeded: NodeService, peer: InProcessClient, method: str, url: str,
                                    kw: dict[str, Any]) -> None:
    before = disk_state(seeded)
    assert_error(peer.request(method, url, **kw))
    assert disk_state(seeded) == before


@pytest.mark.parametrize(("method", "url", "kw"), [r[1:] for r in NODE_REQS + WEB_REQS],
                         ids=[r[0] for r in NODE_REQS + WEB_REQS])
def test_web_app_refuses_bad_input(seeded: NodeService, web: InProcessClient, method: str, url: str,
                                   kw: dict[str, Any]) -> None:
    before = disk_state(seeded)
    assert_error(web.request(method, url, **kw))
    assert disk_state(seeded) == before
    assert web.get("/api/v1/files/keep.txt").content == b"keep me"


@pytest.mark.parametrize("auth", [None, "", "Bearer", "Bearer ", "Bearer wrong", "Bearer dlbs1-AAAA",
                                  "Basic dXNlcjpwYXNz"])
@pytest.mark.parametrize(("method", "url", "kw"), [
    ("POST", "/upload", {"content": BODY, "headers": {"Filename": "new.txt"}}),
    ("POST", "/delete", {"json": {"filename": "keep.txt"}}),
    ("GET", "/files", {}),
    ("GET", "/download", {"params": {"filename": "keep.txt"}}),
], ids=["upload", "delete", "files", "download"])
def test_peer_app_refuses_missing_or_wrong_tokens(seeded: NodeService, peer_anon: InProcessClient,
                                                  auth: str | None, method: str, url: str,
                                                  kw: dict[str, Any]) -> None:
    kw = {**kw, "headers": {**kw.get("headers", {}), **({"Authorization": auth} if auth is not None else {})}}
    before = disk_state(seeded)
    r = peer_anon.request(method, url, **kw)
    assert_error(r, 401)
    assert b"keep me" not in r.content
    assert disk_state(seeded) == before


def test_a_near_miss_token_is_refused(seeded: NodeService, peer_anon: InProcessClient) -> None:
    token = seeded.token
    for bad in (token[:-1], token + "A", token[:-1] + ("A" if token[-1] != "A" else "B"), token.upper()):
        assert_error(peer_anon.get("/files", headers={"Authorization": f"Bearer {bad}"}), 401)


def test_max_length_names_are_accepted(web: InProcessClient) -> None:
    name = "a/" * 2047 + "xy"  # exactly 4096 bytes
    assert len(name.encode()) == 4096
    r = web.put(f"/api/v1/files/{q(name)}", content=b"ok")
    assert r.status_code == 200, r.text
    assert web.get("/download", params={"filename": name}).content == b"ok"
