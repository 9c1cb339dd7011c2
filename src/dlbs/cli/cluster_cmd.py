"""Cluster commands: join, sync, forget-node."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from dlbs.cli.app import NodeOption, app, console, err_console, human_size, print_json
from dlbs.cli.node_cmd import DataDirOption
from dlbs.client import NodeClient
from dlbs.errors import ConfigError, PeerError


def _version_count(catalog: Path) -> int:
    if not catalog.exists():
        return 0
    conn = sqlite3.connect(catalog)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


@app.command()
def join(
    token: str = typer.Argument(..., help="The token `dlbs invite` printed on a node of the cluster."),
    peer: str = typer.Option(..., "--peer", help="HOST:PORT of a node of the cluster (its peer port)."),
    data_dir: Path | None = DataDirOption,
    port: int | None = typer.Option(None, "--port", help="The peer port this node will listen on (default 8000)."),
    web_port: int | None = typer.Option(None, "--web-port",
                                        help="The port of this node's web page (default 5000)."),
    name: str | None = typer.Option(None, "--name", help="This node's name (default: the host name)."),
) -> None:
    """Join this device to a cluster: verifies the peer over TLS and introduces this node to it."""
    # Imported here: TLS, pydantic and the store cost ~100 ms, and every other command is faster without.
    from dlbs.config import load_config, parse_node_address, save_config
    from dlbs.peer.client import PeerClient
    from dlbs.peer.tls import client_context, ensure_tls
    from dlbs.store.identity import ClusterSecret, DataDir, default_data_dir

    cluster = ClusterSecret.from_token(token)
    parse_node_address(peer)
    root = (data_dir or default_data_dir()).expanduser().absolute()
    dd = DataDir(root)
    root.mkdir(parents=True, exist_ok=True)
    if dd.cluster_file.exists() and dd.cluster().cluster_id != cluster.cluster_id:
        n = _version_count(dd.catalog)
        if n:
            raise ConfigError(
                "this node belongs to another cluster",
                f"{root} holds {n} version(s) of cluster {dd.cluster().cluster_id[:12]}; joining another cluster "
                "would make them unreadable. Use a fresh --data-dir, or restore them first.",
            )
    node_id = dd.node_id(create=True)
    cfg = load_config(dd.config)
    updates: dict[str, object] = {}
    if name:
        updates["node_name"] = name
    if port is not None:
        updates["port"] = port
    if web_port is not None:
        updates["web_port"] = web_port
    if peer not in cfg.nodes:
        updates["nodes"] = [*cfg.nodes, peer]
    cfg = cfg.model_copy(update=updates)
    tls = ensure_tls(root, cluster.secret, cluster.cluster_id, node_id)
    client = PeerClient(peer, client_context(tls), cluster.token)
    try:
        hello = client.join(node_id, cfg.node_name, cfg.port)
    except PeerError as exc:
        raise PeerError(f"cannot join through {peer}", exc.detail) from None
    finally:
        client.close()
    if hello.get("cluster_id") != cluster.cluster_id:
        raise PeerError("wrong cluster", f"{peer} belongs to another cluster than this token")
    if hello.get("node_id") == node_id:
        raise ConfigError("that is this node", f"{peer} is this device's own node; give another device's address")
    dd.write_cluster(cluster)
    save_config(dd.config, cfg)
    console.print(Text(
        f"joined cluster {cluster.cluster_id[:12]} through {hello.get('node_name')} ({peer}); this node is "
        f"{cfg.node_name} ({node_id}).\nStart it with `dlbs node"
        f"{'' if data_dir is None else f' --data-dir {root}'}` (restart it if it is running): it will fetch "
        f"{hello.get('chunks', 0)} chunk(s) and every file's history."
    ))


@app.command()
def sync(as_json: bool = typer.Option(False, "--json"), node: str | None = NodeOption) -> None:
    """Sync now with every peer, both directions; prints a result per node."""
    spinner = err_console.status("syncing…", spinner="dots") if err_console.is_terminal else contextlib.nullcontext()
    with NodeClient(node) as client, spinner:
        result = client.sync()
    if as_json:
        print_json(result)
        return
    rows = result.get("results", [])
    if not rows:
        console.print(Text(result.get("message", "no peers")))
        return
    table = Table(box=None, pad_edge=False)
    for col in ("node", "address", "status", "versions", "chunks", "bytes", "time", "error"):
        table.add_column(col)
    for r in rows:
        style = "green" if r["status"] == "ok" else ("dim" if r["status"] == "self" else "red")
        table.add_row(Text(r.get("name") or r.get("node") or "?"), Text(r["address"]), Text(r["status"], style=style),
                      str(r["pulled_versions"]), str(r["fetched_chunks"]), human_size(r["bytes"]),
                      f"{r['seconds']:.1f}s", Text(r.get("error") or ""))
    console.print(table)
    if any(r["status"] not in ("ok", "self") for r in rows):
        raise typer.Exit(1)


@app.command("forget-node")
def forget_node(node_id: str = typer.Argument(..., help="The id of the node (see `dlbs status`)."),
                node: str | None = NodeOption) -> None:
    """Remove a node from the cluster for good: its chunks are re-replicated to keep R copies."""
    with NodeClient(node) as client:
        client.post_json("/api/v1/nodes/forget", {"id": node_id})
    console.print(Text(f"forgot node {node_id}; its data will be re-replicated"))

