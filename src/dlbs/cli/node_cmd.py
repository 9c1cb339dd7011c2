"""Node commands: node (run one), init, invite, status."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from dlbs.cli.app import NodeOption, app, console, err_console, human_size, print_json
from dlbs.client import NodeClient
from dlbs.errors import ConfigError

DataDirOption = typer.Option(None, "--data-dir", envvar="DLBS_DATA_DIR",
                             help="The node's data dir (default: the platform's user data dir).")


@app.command()
def node(
    data_dir: Path | None = DataDirOption,
    port: int | None = typer.Option(None, "--port", help="Peer port (default 8000)."),
    host: str | None = typer.Option(None, "--host", help="Peer address to listen on (default 0.0.0.0)."),
    web_port: int | None = typer.Option(None, "--web-port", help="Web page port (default 5000)."),
    web_host: str | None = typer.Option(None, "--web-host", help="Web page address (default 127.0.0.1)."),
    config: Path | None = typer.Option(None, "--config", help="config.json to use (default: in the data dir)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
) -> None:
    """Run this device's node: the peer port and the web page."""
    from dlbs import server
    from dlbs.service import NodeService
    from dlbs.store.identity import DataDir, default_data_dir  # heavy: only the commands that need it

    root = (data_dir or default_data_dir()).expanduser().absolute()
    root.mkdir(parents=True, exist_ok=True)
    server.tune_malloc()
    server.setup_logging(str(DataDir(root).log), verbose)
    svc = NodeService.open(root, config)
    cfg = svc.config
    try:
        h, p = host or cfg.host, port if port is not None else cfg.port
        wh, wp = web_host or cfg.web_host, web_port if web_port is not None else cfg.web_port
        err_console.print(Text.assemble(
            ("dlbs node ", "bold"), (f"{svc.node_name} ({svc.node_id})", "cyan"),
            f"\n  web page:  http://{wh}:{wp}/\n  peer port: {h}:{p}\n  data dir:  {root}\n"
            "  stop with Ctrl+C",
        ))
    except BaseException:
        svc.close()
        raise
    server.run(svc, h, p, wh, wp)


@app.command()
def init(
    data_dir: Path | None = DataDirOption,
    name: str | None = typer.Option(None, "--name", help="This node's name (default: the host name)."),
) -> None:
    """Make this device the first node of a new cluster."""
    from dlbs.store.identity import DataDir, default_data_dir  # heavy: only the commands that need it

    root = (data_dir or default_data_dir()).expanduser().absolute()
    dd = DataDir(root)
    if dd.cluster_file.exists():
        raise ConfigError("already a node", f"{root} is already a node of cluster {dd.cluster().cluster_id[:12]}; "
                          "`dlbs invite` prints its token")
    from dlbs.config import load_config, save_config

    node_id, cluster = dd.ensure()
    cfg = load_config(dd.config)
    if name:
        cfg = cfg.model_copy(update={"node_name": name})
    save_config(dd.config, cfg)
    console.print(Text(f"created cluster {cluster.cluster_id[:12]} with node {cfg.node_name} ({node_id}) in {root}"))
    console.print(Text("start it with `dlbs node`; add devices with `dlbs invite` and `dlbs join`"))


@app.command()
def invite(data_dir: Path | None = DataDirOption) -> None:
    """Print the cluster token: what another device needs to join (keep it secret)."""
    from dlbs.store.identity import DataDir, default_data_dir  # heavy: only the commands that need it

    root = (data_dir or default_data_dir()).expanduser().absolute()
    cluster = DataDir(root).cluster()
    print(cluster.token)
    err_console.print("On the new device: dlbs join <token> --peer THIS_HOST:8000  (the token is a secret)")


@app.command()
def status(as_json: bool = typer.Option(False, "--json"), node: str | None = NodeOption) -> None:
    """This node and every peer: online, last seen, last sync, versions behind, bytes stored."""
    with NodeClient(node) as client:
        st = client.status()
    if as_json:
        print_json(st)
        return
    s = st["stats"]
    console.print(Text.assemble(("node ", "bold"), (f"{st['node_name']} ({st['node_id']})", "cyan"),
                                f"  dlbs {st['version']}  data {st['data_dir']}"))
    console.print(Text(
        f"files {s['total_files']} ({human_size(s['total_size'])})  versions {s['total_versions']}  "
        f"all versions and snapshots {human_size(s.get('referenced_bytes', 0))}, "
        f"stored in {human_size(s['stored_bytes'])}  dedup {s['dedup_ratio']:.2f}x  "
        f"compression {s.get('compression_ratio', 1.0):.2f}x  chunks {s['chunks']}"
    ))
    if s["integrity_errors"]:
        console.print(Text(f"integrity errors: {s['integrity_errors']} corrupt chunk(s); run `dlbs check --repair`",
                           style="bold red"))
    else:
        console.print(Text("integrity errors: 0", style="green"))
    peers = st.get("nodes", [])
    if not peers:
        console.print(Text("no peers configured (dlbs invite / dlbs join)", style="dim"))
        return
    table = Table(box=None, pad_edge=False)
    for col in ("node", "address", "state", "last seen", "last sync", "behind", "stored", "reason"):
        table.add_column(col)
    for p in peers:
        state = Text("online", style="green") if p.get("online") else Text("offline", style="red")
        table.add_row(Text(p.get("name") or p.get("id") or "?"), Text(p.get("address", "")), state,
                      p.get("last_seen_ago", "-"), p.get("last_sync_ago", "-"), str(p.get("behind", "-")),
                      human_size(p["bytes_stored"]) if p.get("bytes_stored") is not None else "-",
                      Text(p.get("reason") or ""))
    console.print(table)
