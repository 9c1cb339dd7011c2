"""Real `dlbs node` processes for end-to-end tests: free loopback ports, temp data dirs, always stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

DLBS = [sys.executable, "-m", "dlbs"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll `predicate` until it returns a truthy value; fail the test with `what` on timeout."""
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # the condition may raise while the system settles
            last_exc = exc
        time.sleep(interval)
    suffix = f" (last error: {last_exc})" if last_exc else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{suffix}")


@dataclass
class NodeProcess:
    """One `dlbs node` on 127.0.0.1. `web` is its web-port URL, `peer` its peer-port URL."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    name: str = "node"
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def peer(self) -> str:
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DLBS_DATA_DIR"] = str(self.data_dir)
        env["DLBS_NODE"] = self.web
        env.pop("http_proxy", None)
        env.pop("https_proxy", None)
        env.pop("HTTP_PROXY", None)
        env.pop("HTTPS_PROXY", None)
        return env

    def cli(self, *args: str, check: bool = True, input: bytes | None = None, timeout: float = 120):  # type: ignore[no-untyped-def]
        """Run `dlbs ARGS` against this node; returns the CompletedProcess."""
        res = subprocess.run([*DLBS, *args], env=self.env(), capture_output=True, timeout=timeout, input=input)
        if check and res.returncode != 0:
            raise AssertionError(f"dlbs {' '.join(args)} failed ({res.returncode}): {res.stderr.decode()}")
        return res

    def start(self, *extra: str) -> NodeProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / "stdout.log"
        out = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [*DLBS, "node", "--data-dir", str(self.data_dir), "--host", "127.0.0.1", "--port", str(self.port),
             "--web-port", str(self.web_port), *extra],
            env=self.env(), stdout=out, stderr=subprocess.STDOUT,
        )
        out.close()

        def healthy() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"node exited: {self.output()}")
            return httpx.get(f"{self.web}/health", timeout=2).status_code == 200

        wait_for(healthy, timeout=30, what=f"node {self.name} to start")
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=10)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def write_config(node: NodeProcess, **values: Any) -> None:
    """Set keys of a node's config.json (made if missing); the node reads it at start."""
    node.data_dir.mkdir(parents=True, exist_ok=True)
    path = node.data_dir / "config.json"
    cfg = json.loads(path.read_text()) if path.exists() else {}
    cfg.update(values)
    path.write_text(json.dumps(cfg))
