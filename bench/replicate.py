"""Replication benchmark: how fast does a node that was off catch up, compared with rsync?

1. Generates a dataset (default 1 GiB): `--small-count` small files of 4-64 KiB, the rest in large
   files of 32-200 MiB. Data is random but partly compressible (each block mixes fresh random bytes
   with runs of low-entropy text), and never repeats, so deduplication does not help.
2. Starts two real nodes A and B on free loopback ports in temp dirs, B joined to A by token and
   left stopped, and uploads the dataset to A (not measured).
3. Starts B and times from the moment its process starts until B has every version and every
   chunk A has (polling B's `/api/stats`): the replication throughput in MiB/s of file data.
4. Copies the same dataset with `rsync -a` between two local temp directories (same disk) and
   prints its MiB/s and the ratio dlbs/rsync (target >= 0.5).
5. Reports the peak RSS of both node processes while replication runs (sampled VmRSS), and their
   VmHWM over their whole life (for A that includes the upload of the dataset).

With `--py-spy PATH` both nodes are sampled during step 3 and the hottest functions are printed
(collapsed stacks are kept in the work dir).

    .venv/bin/python bench/replicate.py                 # 1 GiB
    .venv/bin/python bench/replicate.py --size 256M --keep
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from harness import (
    DLBS,
    MiB,
    block,
    clean_env,
    free_port,
    parse_size,
    remove_workdir,
    start_profiler,
    stop_process,
    summarize_profile,
    write_blocks,
)

# ---- dataset --------------------------------------------------------------------------------------



def generate(root: Path, total: int, small_count: int, seed: int) -> tuple[int, int]:
    """Write the dataset under `root`; returns (file count, bytes)."""
    rng = random.Random(seed)
    written = 0
    count = 0
    small_dir = root / "small"
    for i in range(small_count):
        if written >= total:
            break
        size = min(rng.randint(4 << 10, 64 << 10), total - written)
        d = small_dir / f"d{i // 100:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"s{i:05d}.bin").write_bytes(block(rng, size))
        written += size
        count += 1
    large_dir = root / "large"
    large_dir.mkdir(parents=True, exist_ok=True)
    i = 0
    while written < total:
        size = min(rng.randint(32 * MiB, 200 * MiB), total - written)
        write_blocks(large_dir / f"l{i:03d}.bin", rng, size)
        written += size
        count += 1
        i += 1
    return count, written


# ---- nodes ----------------------------------------------------------------------------------------


class Node:
    def __init__(self, root: Path, name: str) -> None:
        self.root = root
        self.name = name
        self.port = free_port()
        self.web_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.vmhwm_kib: int | None = None
        self.rss_peak_kib = 0  # the largest VmRSS sampled while replication runs

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def peer(self) -> str:
        return f"127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        res = subprocess.run([*DLBS, *args], env=clean_env(self.root, self.web), capture_output=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"dlbs {args[0]} failed: {res.stderr.decode()}")
        return res.stdout.decode()

    def spawn(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        out = (self.root / "stdout.log").open("ab")
        self.proc = subprocess.Popen(
            [*DLBS, "node", "--data-dir", str(self.root), "--host", "127.0.0.1", "--port", str(self.port),
             "--web-port", str(self.web_port)],
            env=clean_env(self.root, self.web), stdout=out, stderr=subprocess.STDOUT,
        )
        out.close()

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                tail = (self.root / "stdout.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"node {self.name} exited:\n{tail}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.web}/health", timeout=2, trust_env=False).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"node {self.name} did not start")

    def start(self) -> None:
        self.spawn()
        self.wait_healthy()

    def stats(self) -> dict[str, object]:
        return dict(httpx.get(f"{self.web}/api/stats", timeout=30, trust_env=False).json())

    def sample_rss(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.vmhwm_kib = int(line.split()[1])
                elif line.startswith("VmRSS:"):
                    self.rss_peak_kib = max(self.rss_peak_kib, int(line.split()[1]))

    def cpu_seconds(self) -> float:
        """User + system CPU time the node process has used so far."""
        if self.proc is None:
            return 0.0
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return 0.0

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.sample_rss()
        stop_process(self.proc, timeout=30)


def upload(node: Node, data: Path, workers: int = 4) -> None:
    files = sorted(p for p in data.rglob("*") if p.is_file())

    def put(client: httpx.Client, p: Path) -> None:
        rel = p.relative_to(data).as_posix()
        with p.open("rb") as f:
            r = client.put(f"{node.web}/api/v1/files/{rel}", content=f, timeout=600)
        if r.status_code != 200:
            raise RuntimeError(f"upload of {rel}: {r.status_code} {r.text[:200]}")

    clients = [httpx.Client(trust_env=False) for _ in range(workers)]
    try:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda ip: put(clients[ip[0] % workers], ip[1]), enumerate(files)))
    finally:
        for c in clients:
            c.close()


# ---- profiling --------------------------------------------------------------------------------------


# ---- main -------------------------------------------------------------------------------------------


def dir_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def run_rsync(src: Path, dst: Path) -> tuple[float, float]:
    """Seconds for `rsync -a src/ dst/`, and for that plus `sync -f` (rsync does not fsync; dlbs does)."""
    if shutil.which("rsync") is None:
        print("rsync is missing: installing it with apt-get", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "rsync"], check=True)
    started = time.monotonic()
    subprocess.run(["rsync", "-a", f"{src}/", f"{dst}/"], check=True)
    copied = time.monotonic() - started
    subprocess.run(["sync", "-f", str(dst)], check=True)
    return copied, time.monotonic() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1G", help="dataset size (default 1G)")
    ap.add_argument("--small-count", type=int, default=2000, help="number of small files (default 2000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=None, help="where to put the temp dirs (default: $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--py-spy", default=None, help="path to py-spy: profile both nodes during replication")
    ap.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args()

    total = parse_size(args.size)
    work = Path(tempfile.mkdtemp(prefix="dlbs-bench-", dir=args.workdir))
    a = Node(work / "a", "a")
    b = Node(work / "b", "b")
    results: dict[str, object] = {"size_bytes": total}
    try:
        data = work / "data"
        t = time.monotonic()
        count, nbytes = generate(data, total, args.small_count, args.seed)
        print(f"dataset: {count} files, {nbytes / MiB:.0f} MiB in {time.monotonic() - t:.1f}s ({data})")
        results.update(files=count, bytes=nbytes)

        a.root.mkdir(parents=True)
        (a.root / "config.json").write_text(json.dumps({"node_name": "a"}))
        a.start()
        token = a.cli("invite", "--data-dir", str(a.root)).strip()
        b.cli("join", token, "--peer", a.peer, "--data-dir", str(b.root), "--port", str(b.port), "--name", "b")

        t = time.monotonic()
        upload(a, data)
        sa = a.stats()
        print(f"uploaded to A in {time.monotonic() - t:.1f}s: {sa['total_versions']} versions, {sa['chunks']} "
              f"chunks, {int(sa['stored_bytes']) / MiB:.0f} MiB stored")  # type: ignore[call-overload]
        # Restart A, so its memory during the catch-up is the cost of serving, not what the upload
        # phase left resident.
        a.stop()
        a.vmhwm_kib, a.rss_peak_kib = None, 0
        a.start()

        # ---- the measured part: B starts and catches up ----
        a_cpu = a.cpu_seconds()
        started = time.monotonic()
        b.spawn()
        b.wait_healthy()
        healthy = time.monotonic() - started
        profilers: list[tuple[subprocess.Popen[bytes], Path]] = []
        if args.py_spy:
            for n in (a, b):
                assert n.proc is not None
                out = work / f"profile-{n.name}.txt"
                profilers.append((start_profiler(args.py_spy, n.proc.pid, out), out))
        want = (sa["total_versions"], sa["chunks"])
        while True:
            sb = b.stats()
            if (sb["total_versions"], sb["chunks"]) == want:
                break
            if time.monotonic() - started > args.timeout:
                raise RuntimeError(f"B did not catch up in {args.timeout}s: {sb}")
            a.sample_rss()
            b.sample_rss()
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        cpu = {"a": a.cpu_seconds() - a_cpu, "b": b.cpu_seconds()}
        for prof, _ in profilers:
            prof.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                prof.wait(timeout=30)
        dlbs_rate = nbytes / MiB / elapsed
        print(f"dlbs: B caught up in {elapsed:.1f}s (process start to healthy {healthy:.1f}s): "
              f"{dlbs_rate:.1f} MiB/s of file data ({int(sb['stored_bytes']) / MiB:.0f} MiB sealed chunks moved)")  # type: ignore[call-overload]
        print(f"CPU during the catch-up: A {cpu['a']:.1f}s, B {cpu['b']:.1f}s over {elapsed:.1f}s wall "
              f"({(cpu['a'] + cpu['b']) / elapsed:.2f} cores of {os.cpu_count()})")
        results.update(dlbs_seconds=round(elapsed, 2), dlbs_mib_s=round(dlbs_rate, 1),
                       b_startup_seconds=round(healthy, 2), cpu_a_s=round(cpu["a"], 2), cpu_b_s=round(cpu["b"], 2))

        a.stop()
        b.stop()
        for n in (a, b):
            rss = f"{n.vmhwm_kib / 1024:.0f} MiB" if n.vmhwm_kib else "?"
            during = f"{n.rss_peak_kib / 1024:.0f} MiB" if n.rss_peak_kib else "?"
            print(f"node {n.name}: peak RSS sampled during replication {during}; VmHWM over its life {rss}"
                  + (" (restarted after the upload)" if n is a else ""))
            results[f"vmhwm_{n.name}_mib"] = round(n.vmhwm_kib / 1024, 1) if n.vmhwm_kib else None
            results[f"rss_replicating_{n.name}_mib"] = round(n.rss_peak_kib / 1024, 1)

        # ---- rsync baseline ----
        dst = work / "rsync-dst"
        dst.mkdir()
        rs, rs_durable = run_rsync(data, dst)
        assert dir_bytes(dst) == nbytes
        rsync_rate = nbytes / MiB / rs
        durable_rate = nbytes / MiB / rs_durable
        ratio = dlbs_rate / rsync_rate
        print(f"rsync -a: {rs:.1f}s, {rsync_rate:.1f} MiB/s; with a final sync -f: {rs_durable:.1f}s, "
              f"{durable_rate:.1f} MiB/s")
        print(f"ratio dlbs/rsync: {ratio:.2f} (target >= 0.5): {'OK' if ratio >= 0.5 else 'BELOW TARGET'}; "
              f"against rsync + sync (both durable): {dlbs_rate / durable_rate:.2f}")
        results.update(rsync_seconds=round(rs, 2), rsync_mib_s=round(rsync_rate, 1), ratio=round(ratio, 3),
                       rsync_sync_seconds=round(rs_durable, 2), ratio_vs_rsync_sync=round(dlbs_rate / durable_rate, 3))
        for _, out in profilers:
            print(f"\nprofile of {out.name} ({out}):\n{summarize_profile(out)}")
        print(json.dumps(results))
        return 0
    finally:
        a.stop()
        b.stop()
        remove_workdir(work, args.keep)


if __name__ == "__main__":
    sys.exit(main())
