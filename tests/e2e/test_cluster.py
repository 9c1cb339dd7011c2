"""The cluster end to end: real `dlbs node` processes on loopback, joined by token.

Each test builds its own small cluster (two or three nodes, temp data dirs, free ports) with the
`spawn` fixture (`make_node`, stopping every node at once at the end). Synchronisation is by polling with `wait_for`,
never by sleeping. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import random
import signal
import socket
import sqlite3
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

import chunkdisk
from nodeproc import NodeProcess, wait_for, write_config

pytestmark = pytest.mark.slow

MakeNode = Callable[..., NodeProcess]
SYNC_TIMEOUT = 60.0


# ---- helpers ----------------------------------------------------------------------------------


def stop_all(nodes: list[NodeProcess]) -> None:
    """SIGTERM every running node at once, then wait for each.

    Stopping nodes one by one is slow: a stopping node waits for its peers' idle keep-alive TLS
    connections to close, which they do only at their next heartbeat (~10 s) or when they stop too.
    """
    running = [n for n in nodes if n.running]
    for n in running:
        assert n.proc is not None
        n.proc.send_signal(signal.SIGTERM)
    for n in running:
        n.stop()


@pytest.fixture
def spawn(make_node: MakeNode) -> Iterator[MakeNode]:
    """`make_node`, plus: every node made is stopped at the same time when the test ends."""
    made: list[NodeProcess] = []

    def make(*args: Any) -> NodeProcess:
        n = make_node(*args)
        made.append(n)
        return n

    yield make
    stop_all(made)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(node: NodeProcess, path: str, data: bytes) -> dict[str, Any]:
    r = httpx.put(f"{node.web}/api/v1/files/{path}", content=data, timeout=120)
    assert r.status_code == 200, f"upload of {path} to {node.name}: {r.status_code} {r.text}"
    return dict(r.json())


def listing(node: NodeProcess) -> dict[str, dict[str, Any]]:
    r = httpx.get(f"{node.web}/api/v1/files", timeout=30)
    r.raise_for_status()
    return {f["path"]: f for f in r.json()["files"]}


def hashes(node: NodeProcess) -> dict[str, str]:
    return {p: e["sha256"] for p, e in listing(node).items()}


def download(node: NodeProcess, path: str, version: int | None = None) -> bytes:
    params = {"version": version} if version is not None else None
    r = httpx.get(f"{node.web}/api/v1/files/{path}", params=params, timeout=120)
    assert r.status_code == 200, f"download of {path} from {node.name}: {r.status_code} {r.text[:300]}"
    return r.content


def history(node: NodeProcess, path: str) -> dict[str, Any]:
    r = httpx.get(f"{node.web}/api/v1/history/{path}", timeout=30)
    r.raise_for_status()
    return dict(r.json())


def sync_now(node: NodeProcess) -> dict[str, Any]:
    r = httpx.post(f"{node.web}/api/sync", timeout=300)
    r.raise_for_status()
    return dict(r.json())


def stats(node: NodeProcess) -> dict[str, Any]:
    r = httpx.get(f"{node.web}/api/stats", timeout=30)
    r.raise_for_status()
    return dict(r.json())


def status(node: NodeProcess) -> dict[str, Any]:
    r = httpx.get(f"{node.web}/api/v1/status", timeout=60)
    r.raise_for_status()
    return dict(r.json())


def cli_status(node: NodeProcess) -> dict[str, Any]:
    return dict(json.loads(node.cli("status", "--json").stdout))


def node_id(node: NodeProcess) -> str:
    return str(json.loads((node.data_dir / "node.json").read_text())["node_id"])


def chunk_files(node: NodeProcess) -> set[str]:
    """Hex ids of the chunks in a node's store, loose or packed."""
    return chunkdisk.held_ids(node.data_dir / "chunks")


def invite(node: NodeProcess) -> str:
    return node.cli("invite", "--data-dir", str(node.data_dir)).stdout.decode().strip()


def join(make_node: MakeNode, first: NodeProcess, token: str, name: str, **config: Any) -> NodeProcess:
    """A new node joined through `first` by token (not started)."""
    n = make_node(name, False)
    if config:
        write_config(n, **config)
    n.cli("join", token, "--peer", first.peer, "--data-dir", str(n.data_dir), "--port", str(n.port), "--name", name)
    return n


def wait_meshed(nodes: list[NodeProcess], timeout: float = 40) -> None:
    """Until every node sees every other one online (members learned by gossip, then greeted)."""
    ids = {n.name: node_id(n) for n in nodes}

    def meshed(n: NodeProcess) -> bool:
        online = {p["id"] for p in status(n)["nodes"] if p["online"]}
        return {ids[m.name] for m in nodes if m is not n} <= online

    for n in nodes:
        wait_for(lambda n=n: meshed(n), timeout=timeout, interval=0.3, what=f"{n.name} to see every peer online")


def cluster(make_node: MakeNode, names: tuple[str, ...] = ("a", "b", "c"), start: bool = True,
            **config: Any) -> list[NodeProcess]:
    """A cluster: the first node started, the others joined by token (started and meshed if `start`)."""
    first = make_node(names[0], False)
    write_config(first, node_name=names[0], **config)
    first.start()
    token = invite(first)
    others = [join(make_node, first, token, name, **config) for name in names[1:]]
    if start:
        for n in others:
            n.start()
        wait_meshed([first, *others])
    return [first, *others]


def random_files(rng: random.Random, count: int, lo: int, hi: int, prefix: str) -> dict[str, bytes]:
    return {f"{prefix}/f{i:03d}.bin": rng.randbytes(rng.randint(lo, hi)) for i in range(count)}


def assert_all_downloadable(node: NodeProcess, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        got = download(node, path)
        assert sha(got) == sha(data), f"{path} from {node.name}: wrong bytes"


# ---- 1, 2: replication and survival ---------------------------------------------------------------


def test_uploads_reach_every_node_within_seconds(spawn: MakeNode) -> None:
    a, b, c = cluster(spawn)
    files = random_files(random.Random(1), 50, 1024, 16 * 1024, "small")
    for path, data in files.items():
        put(a, path, data)
    uploaded = time.monotonic()
    expected = {p: sha(d) for p, d in files.items()}
    for n in (b, c):
        wait_for(lambda n=n: hashes(n) == expected, timeout=SYNC_TIMEOUT, interval=0.1,
                 what=f"all 50 files on {n.name}")
    elapsed = time.monotonic() - uploaded
    # change notification (~0.3 s debounce) makes peers pull at once; the heartbeat is 10 s
    assert elapsed < 8, f"replication took {elapsed:.1f}s after the last upload: notification did not work"
    for n in (b, c):
        assert_all_downloadable(n, files)


def test_files_survive_sigkill_of_the_uploader(spawn: MakeNode) -> None:
    a, b, c = cluster(spawn)
    files = random_files(random.Random(2), 50, 1024, 64 * 1024, "keep")
    for path, data in files.items():
        put(a, path, data)
    expected = {p: sha(d) for p, d in files.items()}
    for n in (b, c):
        wait_for(lambda n=n: hashes(n) == expected, timeout=SYNC_TIMEOUT, what=f"all files on {n.name}")
        wait_for(lambda n=n: stats(n)["chunks"] >= len(files), timeout=SYNC_TIMEOUT, what=f"chunks on {n.name}")
    a.kill()
    for n in (b, c):
        assert hashes(n) == expected
        assert_all_downloadable(n, files)


# ---- 3: deletes ------------------------------------------------------------------------------------


def test_delete_while_a_node_is_down_stays_deleted(spawn: MakeNode) -> None:
    a, b, c = cluster(spawn)
    put(a, "docs/keep.txt", b"keep me\n")
    put(a, "docs/doomed.txt", b"delete me\n")
    for n in (b, c):
        wait_for(lambda n=n: {"docs/keep.txt", "docs/doomed.txt"} <= set(listing(n)), timeout=SYNC_TIMEOUT,
                 what=f"files on {n.name}")
    c.stop()  # SIGTERM: C still holds the live version
    r = httpx.delete(f"{b.web}/api/v1/files/docs/doomed.txt", timeout=30)
    assert r.status_code == 200, r.text
    wait_for(lambda: "docs/doomed.txt" not in listing(a), timeout=SYNC_TIMEOUT, what="the delete to reach A")
    c.start()
    wait_for(lambda: "docs/doomed.txt" not in listing(c), timeout=SYNC_TIMEOUT, what="the delete to reach C")
    res = json.loads(c.cli("sync", "--json").stdout)
    assert res["results"] and all(r["status"] == "ok" for r in res["results"]), res
    for n in (a, b, c):
        assert "docs/doomed.txt" not in listing(n), f"resurrected on {n.name}"
        assert "docs/keep.txt" in listing(n)
        assert httpx.get(f"{n.web}/api/v1/files/docs/doomed.txt", timeout=10).status_code == 404
        versions = history(n, "docs/doomed.txt")["versions"]
        assert [v["deleted"] for v in versions] == [False, True], f"{n.name}: {versions}"


# ---- 4: conflicts ----------------------------------------------------------------------------------


def test_concurrent_edits_while_partitioned_keep_both(spawn: MakeNode) -> None:
    a, b = cluster(spawn, ("a", "b"))
    path = "notes/plan.txt"
    put(a, path, b"base\n")
    wait_for(lambda: path in listing(b), timeout=SYNC_TIMEOUT, what="the base version on B")
    b.stop()
    from_a = b"edited on A while B was away\n"
    put(a, path, from_a)
    a.stop()
    b.start()
    from_b = b"edited on B while A was away\n"
    put(b, path, from_b)
    a.start()
    sync_now(a)
    sync_now(b)
    for n in (a, b):
        entry = wait_for(lambda n=n: listing(n)[path] if listing(n)[path]["conflict"] else None,
                         timeout=SYNC_TIMEOUT, what=f"the conflict to show on {n.name}")
        assert entry["conflicting"], entry
        h = history(n, path)
        assert h["conflict"] is True
        shas = [v["sha256"] for v in h["versions"]]
        assert sha(from_a) in shas and sha(from_b) in shas and sha(b"base\n") in shas, h
        # both sides are readable as versions of the path
        numbers = {v["sha256"]: v["version"] for v in h["versions"]}
        assert download(n, path, numbers[sha(from_a)]) == from_a
        assert download(n, path, numbers[sha(from_b)]) == from_b
    # both nodes pick the same current version
    assert listing(a)[path]["id"] == listing(b)[path]["id"]
    resolved = b"merged by hand\n"
    put(b, path, resolved)
    for n in (a, b):
        wait_for(lambda n=n: (e := listing(n)[path])["sha256"] == sha(resolved) and not e["conflict"],
                 timeout=SYNC_TIMEOUT, what=f"the resolution on {n.name}")
        assert history(n, path)["conflict"] is False
        assert download(n, path) == resolved


# ---- 5: placement with replicas ---------------------------------------------------------------------


def _replicated_cluster(spawn: MakeNode, rng: random.Random) -> tuple[list[NodeProcess], dict[str, bytes]]:
    nodes = cluster(spawn, replicas=2)
    a, b, c = nodes
    files = random_files(rng, 6, 1 << 20, 3 << 20, "big")  # ~12 MiB: a few dozen chunks
    for path, data in files.items():
        put(a, path, data)
    expected = {p: sha(d) for p, d in files.items()}
    for n in (b, c):
        wait_for(lambda n=n: hashes(n) == expected, timeout=SYNC_TIMEOUT, what=f"every version on {n.name}")
    for n in nodes:
        sync_now(n)  # pull, push and ensure_held: every node holds what placement gives it
    return nodes, files


def _expected_holders(nodes: list[NodeProcess], chunk: str) -> set[str]:
    from dlbs.core import placement

    ids = {node_id(n): n.name for n in nodes}
    return {ids[h] for h in placement.holders(bytes.fromhex(chunk), list(ids), 2)}


def test_replicas_two_reads_work_after_a_holder_stops(spawn: MakeNode) -> None:
    (a, b, c), files = _replicated_cluster(spawn, random.Random(5))
    held = {n.name: chunk_files(n) for n in (a, b, c)}
    unique = set().union(*held.values())
    assert len(unique) >= 6
    for n in (b, c):  # nodes that only received chunks hold exactly their placement share
        mine = {ch for ch in unique if n.name in _expected_holders([a, b, c], ch)}
        assert held[n.name] == mine, f"{n.name} holds {len(held[n.name])} chunks, placement gives it {len(mine)}"
        assert held[n.name] != unique, f"{n.name} holds every chunk although replicas=2"
    for ch in unique:
        assert sum(ch in h for h in held.values()) >= 2, f"chunk {ch[:12]} has fewer than 2 copies"
    b.stop()  # B is a holder; C lacks the chunks placed on A and B, and must fetch them from A
    assert unique - held["c"], "C holds every chunk; the test would not exercise remote reads"
    for n in (a, c):
        assert_all_downloadable(n, files)


def test_replicas_two_keeps_exactly_two_copies(spawn: MakeNode) -> None:
    (a, b, c), _files = _replicated_cluster(spawn, random.Random(6))
    held = {n.name: chunk_files(n) for n in (a, b, c)}
    unique = set().union(*held.values())
    copies = sum(len(h) for h in held.values())
    for ch in unique:
        holders = {name for name, h in held.items() if ch in h}
        assert holders == _expected_holders([a, b, c], ch), f"chunk {ch[:12]} on {sorted(holders)}"
    assert copies == 2 * len(unique), f"{copies} chunk files for {len(unique)} unique chunks"


# ---- 6: credentials ---------------------------------------------------------------------------------


def test_peer_port_refuses_requests_without_the_cluster_credential(spawn: MakeNode) -> None:
    a, _b = cluster(spawn, ("a", "b"))
    put(a, "secret-plans.txt", b"attack at dawn\n")
    token = invite(a)
    secret = base64.b64decode(json.loads((a.data_dir / "cluster.json").read_text())["secret"])
    base = f"https://{a.peer}"
    with httpx.Client(verify=False, trust_env=False, timeout=10) as h:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {token}x"},
                        {"Authorization": token}):
            r = h.get(f"{base}/files", headers=headers)
            assert r.status_code == 401, (headers, r.status_code)
            assert "secret-plans" not in r.text
            r = h.post(f"{base}/peer/v1/versions", json={"vector": {}, "limit": 10}, headers=headers)
            assert r.status_code == 401, (headers, r.status_code)
            assert "secret-plans" not in r.text
            assert h.get(f"{base}/peer/v1/hello", headers=headers).status_code == 401
        # the right token works, so the 401s above are about the credential
        ok = h.get(f"{base}/files", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and "secret-plans.txt" in ok.text
        health = h.get(f"{base}/health")
        assert health.status_code == 200
        body = health.text
        leaks = [token, token.removeprefix("dlbs1-"), base64.b64encode(secret).decode(),
                 base64.urlsafe_b64encode(secret).decode().rstrip("="), secret.hex()]
        assert not any(s in body for s in leaks), f"/health leaks the secret: {body}"
        assert health.json()["status"] == "healthy"
    # plain HTTP on the peer port gets nothing
    with pytest.raises(httpx.HTTPError):
        r = httpx.get(f"http://{a.peer}/health", timeout=5, trust_env=False)
        raise AssertionError(f"plain http answered {r.status_code}")  # pragma: no cover - only on a bug
    # a node of another cluster
    x = spawn("x")
    # a client certificate of another cluster is refused at the TLS layer, even with the right token
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(str(x.data_dir / "node.crt"), str(x.data_dir / "node.key"))
    with pytest.raises(httpx.HTTPError), httpx.Client(verify=ctx, trust_env=False, timeout=10) as h:
        h.get(f"{base}/files", headers={"Authorization": f"Bearer {token}"})
    nodes = httpx.get(f"{a.web}/api/nodes", timeout=10).json()["nodes"]
    r = httpx.post(f"{a.web}/api/nodes", json={"nodes": [*nodes, x.peer]}, timeout=10)
    assert r.status_code == 200, r.text
    peers = {p["address"]: p for p in cli_status(a)["nodes"]}
    assert x.peer in peers, peers
    other = peers[x.peer]
    assert other["online"] is False
    assert "tls" in (other["reason"] or "").lower() or "cluster" in (other["reason"] or "").lower(), other
    assert peers[_b.peer]["online"] is True


# ---- 7: a peer that lies about chunks ------------------------------------------------------------------


class _ThreadServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.contextmanager
def malicious_peer(data_dir: Path, port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The real peer app of the node in `data_dir` (which must be stopped), serving on `port`, except
    that every chunk it sends is the sealed blob of *another* chunk."""
    from dlbs.api.app import create_peer_app
    from dlbs.service import NodeService

    svc = NodeService.open(data_dir)
    ids = sorted(svc.repo.catalog.chunk_ids())
    assert len(ids) >= 2
    swap = {cid: ids[(i + 1) % len(ids)] for i, cid in enumerate(ids)}
    for reader in ("read_sealed", "read_stored"):  # the single-chunk and the batch path
        honest = getattr(svc, reader)
        monkeypatch.setattr(svc, reader, lambda cid, honest=honest: honest(swap.get(cid, cid)))

    async def no_pull(node_id: str) -> None:  # its scheduler is not running: "pull from me" is a no-op
        return None

    monkeypatch.setattr(svc.scheduler, "pull_node_now", no_pull)
    svc.bound_ports = (port, 0)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    config = uvicorn.Config(
        create_peer_app(svc), log_config=None, access_log=False, lifespan="off", ws="none",
        ssl_certfile=str(svc.tls.cert), ssl_keyfile=str(svc.tls.key), ssl_ca_certs=str(svc.tls.ca),
        ssl_cert_reqs=ssl.CERT_OPTIONAL,
    )
    server = _ThreadServer(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, timeout=15, what="the malicious peer to listen")
        yield svc
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        svc.close()


def test_chunk_that_does_not_match_its_id_is_rejected(spawn: MakeNode, monkeypatch: pytest.MonkeyPatch) -> None:
    a = spawn("a", False)
    write_config(a, node_name="a")
    a.start()
    token = invite(a)
    rng = random.Random(7)
    files = {"evil/one.bin": rng.randbytes(600_000), "evil/two.bin": rng.randbytes(600_000)}
    for path, data in files.items():
        put(a, path, data)
    b = join(spawn, a, token, "b")
    a.stop()
    with malicious_peer(a.data_dir, a.port, monkeypatch):
        b.start()
        log = b.data_dir / "node.log"
        wait_for(lambda: "rejected chunk" in log.read_text(errors="replace"), timeout=SYNC_TIMEOUT,
                 what="B to reject the swapped chunks")
        events = httpx.get(f"{b.web}/api/v1/events/recent", timeout=10).json()["events"]
        assert any(e["kind"] == "integrity" for e in events), [e["message"] for e in events]
        # nothing with the wrong bytes is stored, and nothing is served with them
        assert chunk_files(b) == set()
        assert stats(b)["chunks"] == 0
        for path, data in files.items():
            r = httpx.get(f"{b.web}/api/v1/files/{path}", timeout=60)
            served_wrong = r.status_code == 200 and len(r.content) == len(data) and sha(r.content) != sha(data)
            assert not served_wrong, f"B served wrong bytes for {path}"
            assert r.status_code != 200, f"B answered 200 for {path} although no peer gave a valid chunk"
        rejections = log.read_text(errors="replace").count("rejected chunk")
        res = sync_now(b)  # the repair pass (ensure_held) asks again, and rejects again
        assert res["results"] and res["results"][0]["status"] == "ok", res
        assert log.read_text(errors="replace").count("rejected chunk") > rejections
        assert chunk_files(b) == set()
        assert stats(b)["chunks"] == 0
        b.stop()


# ---- 8: status -------------------------------------------------------------------------------------------


def test_status_lists_peers_and_reasons(spawn: MakeNode) -> None:
    a, b, c = cluster(spawn)
    put(a, "status/file.bin", random.Random(8).randbytes(200_000))
    for n in (b, c):
        wait_for(lambda n=n: "status/file.bin" in listing(n), timeout=SYNC_TIMEOUT, what=f"the file on {n.name}")
    sync_now(a)
    st = cli_status(a)
    peers = {p["name"]: p for p in st["nodes"]}
    assert set(peers) == {"b", "c"}, peers
    for name, n in (("b", b), ("c", c)):
        p = peers[name]
        for key in ("id", "address", "online", "last_seen", "last_sync", "behind", "bytes_stored", "reason"):
            assert key in p, (key, p)
        assert p["id"] == node_id(n)
        assert p["address"] == n.peer
        assert p["online"] is True and p["reason"] is None
        assert p["last_seen"] and p["last_sync"], p
        assert p["behind"] == 0
        assert p["bytes_stored"] > 0
    b.kill()
    peers = {p["name"]: p for p in cli_status(a)["nodes"]}
    assert peers["b"]["online"] is False
    assert peers["b"]["reason"] == "connection refused", peers["b"]
    assert peers["b"]["last_seen"], "last_seen is kept after the peer goes offline"
    assert peers["c"]["online"] is True


# ---- 9: self-detection ----------------------------------------------------------------------------------


def test_own_address_in_nodes_is_detected_as_self(spawn: MakeNode) -> None:
    a, b = cluster(spawn, ("a", "b"))
    own = [a.peer, f"localhost:{a.port}"]
    nodes = httpx.get(f"{a.web}/api/nodes", timeout=10).json()["nodes"]
    r = httpx.post(f"{a.web}/api/nodes", json={"nodes": [*nodes, *own]}, timeout=10)
    assert r.status_code == 200, r.text
    res = sync_now(a)
    by_address = {r["address"]: r for r in res["results"]}
    for address in own:
        assert by_address[address]["status"] == "self", res
    assert by_address[b.peer]["status"] == "ok", res
    assert all(r["status"] in ("ok", "self") for r in res["results"]), res
    for source in (status(a)["nodes"], cli_status(a)["nodes"], httpx.get(f"{a.web}/api/nodes").json()["details"]):
        listed = {p["address"]: p for p in source}
        assert not set(own) & set(listed), f"self listed as a peer: {listed}"
        assert all(p["online"] for p in listed.values()), listed
    s = stats(a)
    assert (s["nodes_total"], s["nodes_online"]) == (2, 2), s
    again = sync_now(a)
    assert all(r["status"] in ("ok", "self") for r in again["results"]), again


# ---- 10: kill -9 in the middle of a sync ------------------------------------------------------------------


def _catalog_consistent(node: NodeProcess) -> None:
    conn = sqlite3.connect(node.data_dir / "catalog.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        recorded = {bytes(r[0]).hex() for r in conn.execute("SELECT id FROM chunks")}
        on_disk = chunk_files(node)
        assert recorded <= on_disk, f"{len(recorded - on_disk)} chunk(s) recorded but not on disk"
        from dlbs.core.model import unpack_chunk_refs

        for path, blob, deleted in conn.execute("SELECT path, chunks, deleted FROM versions"):
            if not deleted:
                missing = [r for r in unpack_chunk_refs(blob) if r.id.hex() not in recorded]
                assert not missing, f"{path} is in the catalog before its chunks"
    finally:
        conn.close()


def test_sigkill_during_a_sync_resumes_consistently(spawn: MakeNode) -> None:
    a, b = cluster(spawn, ("a", "b"), start=False)
    rng = random.Random(10)
    files = {f"bulk/f{i:02d}.bin": rng.randbytes(5 << 20) for i in range(12)}  # 60 MiB, incompressible
    for path, data in files.items():
        put(a, path, data)
    total = stats(a)["chunks"]
    # slow A's sending down, so the kill lands in the middle of the transfer
    assert httpx.post(f"{a.web}/api/v1/config", json={"max_send_kbps": 12 * 1024}, timeout=10).status_code == 200
    b.start()
    wait_for(lambda: 0 < len(chunk_files(b)) < total // 2, timeout=SYNC_TIMEOUT, interval=0.02,
             what="B to be in the middle of fetching chunks")
    b.kill()
    got = len(chunk_files(b))
    assert 0 < got < total, (got, total)
    _catalog_consistent(b)
    assert httpx.post(f"{a.web}/api/v1/config", json={"max_send_kbps": None}, timeout=10).status_code == 200
    b.start()
    expected = {p: sha(d) for p, d in files.items()}
    wait_for(lambda: hashes(b) == expected, timeout=SYNC_TIMEOUT, what="every file on B after the restart")
    wait_for(lambda: stats(b)["chunks"] == total, timeout=SYNC_TIMEOUT, what="every chunk on B")
    assert_all_downloadable(b, files)
    log = (b.data_dir / "node.log").read_text(errors="replace")
    assert "rejected chunk" not in log
    b.stop()
    _catalog_consistent(b)
    assert len(chunk_files(b)) == total
