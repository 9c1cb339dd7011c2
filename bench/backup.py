"""Folder-backup benchmark: dlbs (a real node + `dlbs backup`) against restic, same data, same disk.

1. Generates a dataset in a temp dir: `--small` small files of 1-64 KiB (default 5,000) and at
   least `--large-mib` MiB of large files of 20-120 MiB (default 512). Data is random but partly
   compressible (each block mixes fresh random bytes with low-entropy text) and never repeats.
2. Starts one real `dlbs node` on free loopback ports, and makes a restic repository
   (`restic init`, RESTIC_PASSWORD set, repository and cache in the work dir). restic is Debian's
   package, installed with apt-get when missing.
3. Times, for both tools, each phase: the first backup, a second backup with nothing changed, a
   backup after changing 1% of the files (in place, same size; a random region rewritten), and a
   full restore of the latest snapshot into an empty folder (checked: same file count and bytes).
4. Prints seconds and MiB/s (of the dataset's bytes) per phase, the repository size (disk usage
   and apparent bytes of dlbs's `chunks/` + `catalog.db*` against restic's repository folder),
   and the ratio dlbs/restic of each. Targets: first backup >= 1.3x restic's throughput,
   unchanged re-backup no slower, restore at least as fast, repository no larger.

The page cache is warm for both tools (the dataset was just written), and dirty pages are written
back (`sync`) before every phase, so neither tool waits for the dataset's or the other tool's
writes; `--drop-caches` (root) also empties the cache before every phase. With `--py-spy PATH`
the node is sampled during each dlbs phase and the hottest functions are printed.

    .venv/bin/python bench/backup.py                          # 5,000 small files + 512 MiB large
    .venv/bin/python bench/backup.py --small 1000 --large-mib 100 --keep
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from harness import (
    DLBS,
    MiB,
    block,
    free_port,
    remove_workdir,
    start_profiler,
    stop_process,
    stop_profiler,
    summarize_profile,
    write_blocks,
)

# ---- dataset --------------------------------------------------------------------------------------


def generate(root: Path, small: int, large_mib: int, seed: int) -> tuple[int, int]:
    """Write the dataset under `root`; returns (file count, bytes)."""
    rng = random.Random(seed)
    count = written = 0
    for i in range(small):
        d = root / "small" / f"d{i // 100:03d}"
        d.mkdir(parents=True, exist_ok=True)
        size = rng.randint(1 << 10, 64 << 10)
        (d / f"s{i:05d}.bin").write_bytes(block(rng, size))
        count += 1
        written += size
    large_dir = root / "large"
    large_dir.mkdir(parents=True, exist_ok=True)
    large = 0
    i = 0
    while large < large_mib * MiB:
        size = rng.randint(20 * MiB, 120 * MiB)
        write_blocks(large_dir / f"l{i:03d}.bin", rng, size)
        large += size
        count += 1
        i += 1
    return count, written + large


def change_one_percent(root: Path, seed: int) -> int:
    """Rewrite a random 4 KiB region of 1% of the files (size kept, mtime moves); returns how many."""
    rng = random.Random(seed)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    chosen = rng.sample(files, max(1, len(files) // 100))
    for p in chosen:
        size = p.stat().st_size
        n = min(4096, size)
        off = rng.randrange(0, size - n + 1)
        with p.open("r+b") as f:
            f.seek(off)
            f.write(os.urandom(n))
        st = p.stat()
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    return len(chosen)


def tree_summary(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
    return len(files), sum(p.stat().st_size for p in files)


# ---- the two tools --------------------------------------------------------------------------------


class DlbsNode:
    """One `dlbs node` on 127.0.0.1 in `root`; every command goes through the `dlbs` CLI."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.web_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
        env["DLBS_DATA_DIR"] = str(self.root)
        env["DLBS_NODE"] = self.web
        return env

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        out = (self.root / "stdout.log").open("ab")
        self.proc = subprocess.Popen(
            [*DLBS, "node", "--data-dir", str(self.root), "--host", "127.0.0.1", "--port", str(self.port),
             "--web-port", str(self.web_port)], env=self.env(), stdout=out, stderr=subprocess.STDOUT)
        out.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dlbs node exited; see {self.root / 'stdout.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.web}/health", timeout=2, trust_env=False).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError("dlbs node did not start")

    def cli(self, *args: str) -> str:
        res = subprocess.run([*DLBS, *args], env=self.env(), capture_output=True, timeout=3600)
        if res.returncode != 0:
            raise RuntimeError(f"dlbs {' '.join(args)} failed ({res.returncode}): {res.stderr.decode()}")
        return res.stdout.decode()

    def backup(self, data: Path) -> str:
        return str(json.loads(self.cli("backup", str(data), "--json"))["id"])

    def restore(self, snap: str, target: Path) -> None:
        self.cli("restore", snap, "--target", str(target))

    def repo_files(self) -> list[Path]:
        files = [p for p in (self.root / "chunks").rglob("*") if p.is_file()]
        return files + [p for p in self.root.glob("catalog.db*") if p.is_file()]

    def stop(self) -> None:
        stop_process(self.proc, timeout=30)


class Restic:
    def __init__(self, root: Path) -> None:
        if shutil.which("restic") is None:
            print("restic is missing: installing it with apt-get", file=sys.stderr)
            subprocess.run(["apt-get", "install", "-y", "-qq", "restic"], check=True)
        self.repo = root / "repo"
        self.environ = {k: v for k, v in os.environ.items()
                        if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
        self.environ.update(RESTIC_PASSWORD="bench-password", RESTIC_REPOSITORY=str(self.repo),
                            RESTIC_CACHE_DIR=str(root / "cache"))
        self.run("init")

    def run(self, *args: str) -> str:
        res = subprocess.run(["restic", "--quiet", *args], env=self.environ, capture_output=True, timeout=3600)
        if res.returncode != 0:
            raise RuntimeError(f"restic {' '.join(args)} failed ({res.returncode}): {res.stderr.decode()}")
        return res.stdout.decode()

    def backup(self, data: Path) -> str:
        self.run("backup", str(data))
        return "latest"

    def restore(self, snap: str, target: Path) -> None:
        self.run("restore", snap, "--target", str(target))

    def repo_files(self) -> list[Path]:
        return [p for p in self.repo.rglob("*") if p.is_file()]


def disk_usage(files: list[Path]) -> tuple[int, int]:
    """(bytes on disk as du counts them, apparent bytes)."""
    sts = [p.stat() for p in files]
    return sum(s.st_blocks * 512 for s in sts), sum(s.st_size for s in sts)


# ---- profiling ------------------------------------------------------------------------------------


# ---- main -----------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    seconds: dict[str, float]


def settle(drop: bool) -> None:
    """Write back every dirty page first, so no tool pays for the dataset's or the other tool's
    writes; with `drop`, also empty the page cache."""
    subprocess.run(["sync"], check=True)
    if drop:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=int, default=5000, help="number of small files (1-64 KiB)")
    ap.add_argument("--large-mib", type=int, default=512, help="at least this many MiB of large files (20-120 MiB)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=None, help="where to put everything (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--drop-caches", action="store_true", help="drop the page cache before every phase (root)")
    ap.add_argument("--py-spy", default=None, help="path to py-spy: profile the node during each dlbs phase")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dlbs-bench-backup-", dir=args.workdir))
    data = work / "data"
    node = DlbsNode(work / "dlbs")
    try:
        t0 = time.monotonic()
        count, total = generate(data, args.small, args.large_mib, args.seed)
        print(f"dataset: {count} files, {total / MiB:.0f} MiB in {time.monotonic() - t0:.1f}s ({data})")
        node.start()
        restic = Restic(work / "restic")
        tools = {"dlbs": node, "restic": restic}
        phases: list[Phase] = []
        profiles: list[tuple[str, Path]] = []

        def timed(name: str, action: str, target: Path | None = None) -> None:
            secs: dict[str, float] = {}
            for tool_name, tool in tools.items():
                settle(args.drop_caches)
                prof = None
                if args.py_spy and tool_name == "dlbs" and node.proc is not None:
                    out = work / f"profile-{name.replace(' ', '-')}.txt"
                    prof = start_profiler(args.py_spy, node.proc.pid, out)
                    profiles.append((name, out))
                started = time.monotonic()
                if action == "backup":
                    tool.backup(data)
                else:
                    assert target is not None
                    dest = target / tool_name
                    tool.restore(snaps[tool_name], dest)
                secs[tool_name] = time.monotonic() - started
                if prof is not None:
                    stop_profiler(prof)
                print(f"  {name:<22} {tool_name:<7} {secs[tool_name]:8.2f}s", flush=True)
            phases.append(Phase(name, secs))

        snaps: dict[str, str] = {}
        timed("first backup", "backup")
        timed("unchanged re-backup", "backup")
        changed = change_one_percent(data, args.seed + 1)
        print(f"  changed {changed} files (1%)")
        timed("1% changed re-backup", "backup")
        snaps["dlbs"] = json.loads(node.cli("snapshots", "--json"))[-1]["id"]
        snaps["restic"] = "latest"
        restored = work / "restored"
        timed("restore", "restore", restored)
        want = tree_summary(data)
        got_dlbs = tree_summary(restored / "dlbs")
        got_restic = tree_summary(restored / "restic")
        print(f"  restored: source {want}, dlbs {got_dlbs}, restic {got_restic} (files, bytes)")

        print()
        print(f"{'phase':<22} {'dlbs s':>8} {'MiB/s':>8} {'restic s':>9} {'MiB/s':>8} {'dlbs/restic':>12}  target")
        targets = {"first backup": (1.3, ">= 1.3x throughput"), "unchanged re-backup": (1.0, ">= 1.0x"),
                   "restore": (1.0, ">= 1.0x"), "1% changed re-backup": (None, "(none)")}
        for ph in phases:
            d, r = ph.seconds["dlbs"], ph.seconds["restic"]
            ratio = r / d  # throughput ratio dlbs/restic
            want_ratio, label = targets[ph.name]
            verdict = "" if want_ratio is None else ("MET" if ratio >= want_ratio else "MISSED")
            print(f"{ph.name:<22} {d:8.2f} {total / MiB / d:8.1f} {r:9.2f} {total / MiB / r:8.1f} "
                  f"{ratio:11.2f}x  {label} {verdict}")
        du_d, app_d = disk_usage(node.repo_files())
        du_r, app_r = disk_usage(restic.repo_files())
        print(f"{'repository (du)':<22} {du_d / MiB:8.1f} MiB  restic {du_r / MiB:8.1f} MiB  "
              f"dlbs/restic {du_d / du_r:.3f}  target <= 1.0 {'MET' if du_d <= du_r else 'MISSED'}")
        print(f"{'repository (apparent)':<22} {app_d / MiB:8.1f} MiB  restic {app_r / MiB:8.1f} MiB  "
              f"dlbs/restic {app_d / app_r:.3f}")
        print(f"(dataset {total / MiB:.0f} MiB; dlbs chunk files: {len(node.repo_files())}, "
              f"restic files: {len(restic.repo_files())})")
        for name, path in profiles:
            print(f"\nprofile of the dlbs node during {name}:")
            print(summarize_profile(path))
        return 0
    finally:
        node.stop()
        remove_workdir(work, args.keep)


if __name__ == "__main__":
    sys.exit(main())
