"""What the benchmarks share: the dataset generator, real-node plumbing, py-spy summaries."""

from __future__ import annotations

import collections
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

MiB = 1 << 20
DLBS = [sys.executable, "-m", "dlbs"]
WORDS = [b"backup", b"chunk", b"node", b"replica", b"version", b"catalog", b"sync", b"peer", b"data", b"file"]


def block(rng: random.Random, size: int) -> bytes:
    """`size` bytes: ~70% fresh random bytes, ~30% low-entropy text (compresses ~4x with zstd)."""
    rand = int(size * 0.7)
    text = bytearray()
    while len(text) < size - rand:
        text += rng.choice(WORDS) + b" " + str(rng.randrange(10_000)).encode() + b"\n"
    return os.urandom(rand) + bytes(text[: size - rand])


def parse_size(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    t = text.strip().lower().removesuffix("ib").removesuffix("b")
    if t and t[-1] in units:
        return int(float(t[:-1]) * units[t[-1]])
    return int(t)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(data_dir: Path, web: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env["DLBS_DATA_DIR"] = str(data_dir)
    env["DLBS_NODE"] = web
    return env


def start_profiler(py_spy: str, pid: int, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "97", "--threads",
         "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def stop_process(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, timeout: float = 60) -> None:
    """Ask a child to stop (`sig`), wait up to `timeout` seconds, then kill it."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stop_profiler(proc: subprocess.Popen[bytes]) -> None:
    stop_process(proc, signal.SIGINT)  # py-spy writes its profile on SIGINT


def remove_workdir(work: Path, keep: bool) -> None:
    if keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def summarize_profile(path: Path, top: int = 15) -> str:
    """Self time and inclusive time per function from py-spy's collapsed stacks (idle stacks dropped)."""
    if not path.exists():
        return f"(no profile at {path})"
    self_t: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    total = 0
    idle = ("_worker (concurrent/futures/thread.py", "wait (threading.py", "select (selectors.py", "run_forever",
            "Condition.wait", "_wait_for_tstate_lock", "poll (selectors.py")
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        frames = stack.split(";")
        if any(m in frames[-1] for m in idle):
            continue
        count = int(n)
        total += count
        threads[frames[0]] += count
        self_t[frames[-1]] += count
        for f in set(frames[1:]):
            incl[f] += count
    if not total:
        return "(no busy samples)"
    out = [f"  busy samples: {total}", "  per thread:"]
    out += [f"    {100 * c / total:5.1f}%  {t}" for t, c in threads.most_common(8)]
    out.append("  self time:")
    out += [f"    {100 * c / total:5.1f}%  {f}" for f, c in self_t.most_common(top)]
    out.append("  inclusive:")
    shown = 0
    for f, c in incl.most_common():
        if "thread.py" in f or "threading.py" in f or "<module>" in f:
            continue
        out.append(f"    {100 * c / total:5.1f}%  {f}")
        shown += 1
        if shown >= top:
            break
    return "\n".join(out)


def write_blocks(path: Path, rng: random.Random, size: int) -> None:
    """A file of `size` bytes made of `block`s, written 4 MiB at a time (bounded memory)."""
    with path.open("wb") as f:
        left = size
        while left:
            n = min(left, 4 * MiB)
            f.write(block(rng, n))
            left -= n
