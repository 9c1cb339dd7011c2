"""The v2.0 node endpoints (api/routes_node.py) on the peer app (behind the cluster token) and on
the web app: /health, /files, /upload (Filename header, raw body), /download, /delete."""

from __future__ import annotations

import hashlib
import os
from urllib.parse import quote

import pytest
from apiclient import NAMES, InProcessClient, assert_error

from dlbs.service import NodeService


@pytest.fixture(params=["peer", "web"])
def client(request: pytest.FixtureRequest) -> InProcessClient:
    return request.getfixturevalue(request.param)


def upload(client: InProcessClient, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/upload", content=data, headers={"Filename": quote(name)})


def test_health_needs_no_token_and_says_nothing_secret(peer_anon: InProcessClient, node_service: NodeService) -> None:
    r = peer_anon.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy"
    assert body["storage_files"] == 0
    assert {"status", "storage_files", "nodes_configured", "local_address"} <= set(body)
    assert node_service.token not in r.text
    assert node_service.cluster.secret.hex() not in r.text


def test_every_other_route_needs_the_token(peer_anon: InProcessClient, node_service: NodeService) -> None:
    for method, url in [("GET", "/files"), ("GET", "/download?filename=a"), ("POST", "/upload"),
                        ("POST", "/delete"), ("POST", "/health"), ("GET", "/nope")]:
        assert_error(peer_anon.request(method, url), 401)
    wrong = {"Authorization": "Bearer dlbs1-" + "A" * 64}
    assert_error(peer_anon.get("/files", headers=wrong), 401)
    assert_error(peer_anon.get("/files", headers={"Authorization": node_service.token}), 401)  # no scheme
    assert_error(peer_anon.get("/files", headers={"Authorization": f"Basic {node_service.token}"}), 401)
    ok = peer_anon.get("/files", headers={"Authorization": f"bearer {node_service.token}"})
    assert ok.status_code == 200


def test_upload_list_download_delete(client: InProcessClient) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    r = upload(client, "docs/report.pdf", data)
    assert r.status_code == 200, r.text
    sha = hashlib.sha256(data).hexdigest()
    assert r.json() == {"message": "File uploaded successfully", "filename": "docs/report.pdf",
                        "size": len(data), "hash": sha}
    files = client.get("/files").json()
    assert [f["name"] for f in files] == ["docs/report.pdf"]
    assert files[0]["size"] == len(data) and files[0]["hash"] == sha
    assert {"name", "size", "hash", "modified"} <= set(files[0])
    got = client.get("/download", params={"filename": "docs/report.pdf"})
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-length"] == str(len(data))
    assert got.headers["x-dlbs-sha256"] == sha
    r = client.post("/delete", json={"filename": "docs/report.pdf"})
    assert r.status_code == 200
    assert r.json() == {"message": "File deleted successfully", "filename": "docs/report.pdf"}
    assert client.get("/files").json() == []
    assert_error(client.get("/download", params={"filename": "docs/report.pdf"}), 404)
    assert_error(client.post("/delete", json={"filename": "docs/report.pdf"}), 404)


def test_every_upload_is_a_new_version(client: InProcessClient, node_service: NodeService) -> None:
    for i in range(3):
        assert upload(client, "a.txt", f"v{i}".encode()).status_code == 200
    assert client.get("/download", params={"filename": "a.txt"}).content == b"v2"
    assert len(node_service.repo.history("a.txt")) == 3
    assert client.get("/health").json()["storage_files"] == 1


def test_empty_file(client: InProcessClient) -> None:
    r = upload(client, "empty", b"")
    assert r.status_code == 200 and r.json()["size"] == 0
    got = client.get("/download", params={"filename": "empty"})
    assert got.status_code == 200 and got.content == b""


@pytest.mark.parametrize("name", NAMES)
def test_names_round_trip_exactly(client: InProcessClient, name: str) -> None:
    data = name.encode() * 10
    r = upload(client, name, data)
    assert r.status_code == 200, r.text
    assert r.json()["filename"] == name
    assert [f["name"] for f in client.get("/files").json()] == [name]
    got = client.get("/download", params={"filename": name})
    assert got.content == data
    assert quote(name.rsplit("/", 1)[-1], safe="") in got.headers["content-disposition"]
    assert client.post("/delete", json={"filename": name}).json()["filename"] == name
    assert client.get("/files").json() == []


def test_filename_query_parameter_is_accepted_too(client: InProcessClient) -> None:
    r = client.post("/upload", params={"filename": "q.txt"}, content=b"x")
    assert r.status_code == 200 and r.json()["filename"] == "q.txt"
