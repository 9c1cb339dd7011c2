"""Streaming benchmark: one large file up to a real node and back, against the raw disk.

Starts `dlbs node` on free loopback ports with a temp data dir, writes a test file (random blocks
mixed with zero runs: mostly incompressible, partly compressible, no repeated chunks), streams it
to the node with `PUT /api/v1/files/<name>`, streams it back verifying its sha256 (the body goes
nowhere), and meanwhile samples the node's RSS. The baseline is the same disk measured the same
way: a write of the same size ended by fsync, then a cold read. Page cache is dropped per file
(`posix_fadvise(DONTNEED)`), never system-wide.

The benchmark itself runs in bounded memory: it holds one generator block and one network piece.

    .venv/bin/python bench/stream.py --size 4G
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from harness import MiB, free_port, parse_size, remove_workdir, stop_process

BLOCK = 4 * MiB  # generator block: 3 MiB random, 1 MiB zeros
PIECE = 1 * MiB  # network piece


def drop_cache(path: Path) -> None:
    """Evict one file's clean pages from the page cache (no root, no system-wide effect)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def drop_tree_cache(root: Path) -> None:
    for dirpath, _, names in os.walk(root):
        for n in names:
            with contextlib.suppress(OSError):
                drop_cache(Path(dirpath) / n)


def generate(path: Path, size: int) -> tuple[str, float]:
    """Write `size` bytes: each 4 MiB block is 3 MiB of fresh random bytes then 1 MiB of zeros."""
    sha = hashlib.sha256()
    zeros = bytes(BLOCK // 4)
    started = time.monotonic()
    with path.open("wb") as f:
        left = size
        while left:
            block = os.urandom(3 * BLOCK // 4) + zeros
            block = block[: min(left, BLOCK)]
            sha.update(block)
            f.write(block)
            left -= len(block)
        f.flush()
        os.fsync(f.fileno())
    return sha.hexdigest(), time.monotonic() - started


def baseline(path: Path, size: int) -> tuple[float, float]:
    """Raw disk: sequential write of `size` bytes ended by fsync, then a cold sequential read."""
    buf = os.urandom(BLOCK)
    started = time.monotonic()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        left = size
        while left:
            n = os.write(fd, memoryview(buf)[: min(left, BLOCK)])
            left -= n
        os.fsync(fd)
    finally:
        os.close(fd)
    write_s = time.monotonic() - started
    drop_cache(path)
    started = time.monotonic()
    with path.open("rb", buffering=0) as f:
        b = bytearray(BLOCK)
        while f.readinto(b):
            pass
    read_s = time.monotonic() - started
    path.unlink()
    return size / MiB / write_s, size / MiB / read_s


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every `interval` seconds; `peak_sampled` is the highest seen."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_sampled = 0
        self.samples: list[tuple[float, int]] = []
        self._halt = threading.Event()
        self._t0 = time.monotonic()

    def field_kib(self, name: str) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
        return 0

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                rss = self.field_kib("VmRSS")
            except OSError:
                return
            self.peak_sampled = max(self.peak_sampled, rss)
            if len(self.samples) < 100_000:
                self.samples.append((time.monotonic() - self._t0, rss))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def start_node(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port, web_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    log = (data.parent / "node-stdout.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlbs", "node", "--data-dir", str(data), "--host", "127.0.0.1",
         "--port", str(port), "--web-port", str(web_port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    web = f"http://127.0.0.1:{web_port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"node exited: {(data.parent / 'node-stdout.log').read_text()}")
        try:
            if httpx.get(f"{web}/health", timeout=2, trust_env=False).status_code == 200:
                return proc, web
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("node did not start within 30 s")


def upload(client: httpx.Client, src: Path, name: str, size: int) -> tuple[float, dict[str, object]]:
    def body():  # type: ignore[no-untyped-def]
        with src.open("rb") as f:
            while piece := f.read(PIECE):
                yield piece

    started = time.monotonic()
    resp = client.put(f"/api/v1/files/{name}", content=body(),
                      headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"})
    elapsed = time.monotonic() - started
    resp.raise_for_status()
    return elapsed, resp.json()


def download(client: httpx.Client, name: str) -> tuple[float, str, int]:
    sha = hashlib.sha256()
    n = 0
    started = time.monotonic()
    with client.stream("GET", f"/api/v1/files/{name}") as resp:
        resp.raise_for_status()
        for piece in resp.iter_raw(PIECE):
            sha.update(piece)
            n += len(piece)
    return time.monotonic() - started, sha.hexdigest(), n


def self_peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="4G", help="file size, e.g. 512M, 4G (default 4G)")
    ap.add_argument("--dir", default=None, help="where to put the temp files (default: $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (for inspection)")
    args = ap.parse_args()
    size = parse_size(args.size)

    work = Path(tempfile.mkdtemp(prefix="dlbs-bench-", dir=args.dir))
    need = size * 3
    free = shutil.disk_usage(work).free
    if free < need:
        shutil.rmtree(work)
        raise SystemExit(f"need ~{need / 2**30:.1f} GiB free in {work.parent}, have {free / 2**30:.1f} GiB")
    proc: subprocess.Popen[bytes] | None = None
    try:
        print(f"bench dir {work}, size {size / MiB:.0f} MiB", flush=True)
        mib = size / MiB

        w_mibs, r_mibs = baseline(work / "baseline.bin", size)
        print(f"baseline disk: write+fsync {w_mibs:.0f} MiB/s, cold read {r_mibs:.0f} MiB/s", flush=True)

        src = work / "input.bin"
        digest, gen_s = generate(src, size)
        print(f"generated input in {gen_s:.1f}s (sha256 {digest[:16]}…)", flush=True)
        drop_cache(src)

        data = work / "node"
        proc, web = start_node(data)
        sampler = RssSampler(proc.pid)
        rss_idle = sampler.field_kib("VmRSS") / 1024
        sampler.start()

        with httpx.Client(base_url=web, trust_env=False, timeout=httpx.Timeout(None, connect=5.0)) as client:
            up_s, result = upload(client, src, "bench.bin", size)
            if result.get("sha256") != digest or result.get("size") != size:
                raise SystemExit(f"upload stored the wrong content: {result}")
            rss_after_upload = sampler.field_kib("VmRSS") / 1024
            hwm_after_upload = sampler.field_kib("VmHWM") / 1024
            print(f"upload: {up_s:.1f}s, {mib / up_s:.0f} MiB/s, {result.get('chunks')} chunks", flush=True)

            drop_tree_cache(data / "chunks")
            down_s, down_sha, n = download(client, "bench.bin")
            if n != size or down_sha != digest:
                raise SystemExit(f"download returned wrong content: {n} bytes, sha256 {down_sha}")
            print(f"download: {down_s:.1f}s, {mib / down_s:.0f} MiB/s, sha256 verified", flush=True)
            stats = client.get("/api/stats").json()

        hwm = sampler.field_kib("VmHWM") / 1024
        sampler.stop()
        up, down = mib / up_s, mib / down_s
        print()
        print(f"{'size':<28}{mib:>10.0f} MiB")
        print(f"{'upload':<28}{up:>10.0f} MiB/s   ({up / w_mibs:.2f}x raw write+fsync)")
        print(f"{'download (cold chunks)':<28}{down:>10.0f} MiB/s   ({down / r_mibs:.2f}x raw cold read)")
        print(f"{'raw disk write+fsync':<28}{w_mibs:>10.0f} MiB/s")
        print(f"{'raw disk cold read':<28}{r_mibs:>10.0f} MiB/s")
        print(f"{'stored on disk':<28}{stats['stored_bytes'] / MiB:>10.0f} MiB "
              f"({stats['chunks']} chunks, {stats['stored_bytes'] / size:.2f} of the input)")
        print(f"{'node RSS idle':<28}{rss_idle:>10.1f} MiB")
        print(f"{'node RSS after upload':<28}{rss_after_upload:>10.1f} MiB (peak so far {hwm_after_upload:.1f})")
        print(f"{'node peak RSS (VmHWM)':<28}{hwm:>10.1f} MiB (sampled peak {sampler.peak_sampled / 1024:.1f})")
        print(f"{'benchmark peak RSS':<28}{self_peak_rss_mib():>10.1f} MiB")
        return 0
    finally:
        stop_process(proc)
        remove_workdir(work, args.keep)


if __name__ == "__main__":
    sys.exit(main())
