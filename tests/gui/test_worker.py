"""CallRunner: calls run off the calling thread, results come back only through drain()."""

from __future__ import annotations

import threading
import time
from typing import Any

from dlbs.errors import DlbsError, PeerError
from dlbs.gui.worker import CallRunner


class FakeClient:
    closed = False

    def close(self) -> None:
        self.closed = True


def drain_until(runner: CallRunner, pred: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runner.drain()
        if pred():
            return
        time.sleep(0.005)
    raise AssertionError("timed out")


def test_results_run_on_the_draining_thread() -> None:
    runner = CallRunner(FakeClient, threads=2)
    seen: list[tuple[str, Any]] = []
    main = threading.get_ident()
    try:
        runner.submit(lambda c: threading.get_ident(), lambda v: seen.append(("ok", v != main)))
        runner.submit(lambda c: (_ for _ in ()).throw(PeerError("down", "connection refused")),
                      on_error=lambda e: seen.append(("err", e)))
        drain_until(runner, lambda: len(seen) == 2)
        assert ("ok", True) in seen  # the call ran on a worker thread
        err = next(v for k, v in seen if k == "err")
        assert isinstance(err, PeerError) and err.detail == "connection refused"
        assert all(threading.get_ident() == main for _ in seen)
    finally:
        runner.close()


def test_unexpected_exceptions_become_dlbs_errors() -> None:
    runner = CallRunner(FakeClient, threads=1)
    got: list[DlbsError] = []
    try:
        runner.submit(lambda c: 1 / 0, on_error=got.append)
        drain_until(runner, lambda: got)
        assert got[0].message == "unexpected error" and "ZeroDivisionError" in got[0].detail
    finally:
        runner.close()


def test_keyed_calls_do_not_pile_up() -> None:
    runner = CallRunner(FakeClient, threads=2)
    release = threading.Event()
    done: list[int] = []
    try:
        assert runner.submit(lambda c: release.wait(5), lambda _v: done.append(1), key="status")
        assert not runner.submit(lambda c: None, key="status")  # still running: skipped
        assert runner.busy("status")
        release.set()
        drain_until(runner, lambda: done)
        assert not runner.busy("status")
        assert runner.submit(lambda c: None, key="status")
    finally:
        runner.close()


def test_post_and_a_failing_callback_do_not_stop_the_others() -> None:
    runner = CallRunner(FakeClient, threads=1)
    out: list[str] = []
    try:
        runner.post(lambda: out.append("a"))
        runner.post(lambda: (_ for _ in ()).throw(RuntimeError("bug")))
        runner.post(lambda: out.append("b"))
        assert runner.drain() == 3
        assert out == ["a", "b"]
    finally:
        runner.close()


def test_each_thread_reuses_one_client_and_close_closes_them() -> None:
    made: list[FakeClient] = []

    def make() -> FakeClient:
        c = FakeClient()
        made.append(c)
        return c

    runner = CallRunner(make, threads=1)
    clients: list[Any] = []
    for _ in range(3):
        runner.submit(lambda c: c, clients.append)
    drain_until(runner, lambda: len(clients) == 3)
    assert len(made) == 1 and clients == [made[0]] * 3
    runner.close()
    assert made[0].closed
    assert not runner.submit(lambda c: None)
