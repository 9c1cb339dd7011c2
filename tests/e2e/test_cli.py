"""The `dlbs` CLI against a real node: exit code 0 on success, 1 on a user error with one readable
line on stderr and never a traceback."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from nodeproc import NodeProcess, free_port

pytestmark = pytest.mark.slow


def one_error_line(res) -> str:  # type: ignore[no-untyped-def]
    """The CLI failed as a user error should: exit 1, one line on stderr, no traceback."""
    err = res.stderr.decode()
    assert res.returncode == 1, (res.returncode, err)
    assert "Traceback" not in err and "Traceback" not in res.stdout.decode()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "internal error" not in err, f"a user error reported as a bug: {err}"
    return lines[0]


def test_put_ls_get_history_rm(node: NodeProcess, tmp_path: Path) -> None:
    src = tmp_path / "Ünïcode файл.bin"
    data = os.urandom(3 * 1024 * 1024 + 11)
    src.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    res = node.cli("put", str(src), "--as", "docs/a&b #1.bin")
    assert sha in res.stdout.decode()
    listing = json.loads(node.cli("ls", "--json").stdout)
    assert [f["path"] for f in listing] == ["docs/a&b #1.bin"] and listing[0]["sha256"] == sha
    node.cli("put", str(src))
    out = tmp_path / "out.bin"
    node.cli("get", "docs/a&b #1.bin", "-o", str(out))
    assert out.read_bytes() == data
    src.write_bytes(b"second version")
    node.cli("put", str(src), "--as", "docs/a&b #1.bin")
    hist = json.loads(node.cli("history", "docs/a&b #1.bin", "--json").stdout)
    assert [v["version"] for v in hist["versions"]] == [1, 2]
    old = tmp_path / "old.bin"
    node.cli("get", "docs/a&b #1.bin", "--version", "1", "-o", str(old))
    assert old.read_bytes() == data
    node.cli("rm", "docs/a&b #1.bin")
    assert [f["path"] for f in json.loads(node.cli("ls", "--json").stdout)] == ["Ünïcode файл.bin"]
    line = one_error_line(node.cli("get", "docs/a&b #1.bin", "-o", str(tmp_path / "gone"), check=False))
    assert "not found" in line
    assert not (tmp_path / "gone").exists()
    node.cli("restore-version", "docs/a&b #1.bin", "1")
    assert json.loads(node.cli("ls", "docs", "--json").stdout)[0]["sha256"] == sha


def test_put_of_a_missing_file(node: NodeProcess, tmp_path: Path) -> None:
    line = one_error_line(node.cli("put", str(tmp_path / "missing.txt"), check=False))
    assert "missing.txt" in line
    line = one_error_line(node.cli("put", str(tmp_path), check=False))  # a folder
    assert json.loads(node.cli("ls", "--json").stdout) == []


def test_get_of_an_unknown_path_leaves_no_file(node: NodeProcess, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    line = one_error_line(node.cli("get", "no/such/file.txt", "-o", str(outdir / "f"), check=False))
    assert "not found" in line and "no/such/file.txt" in line
    assert list(outdir.iterdir()) == []


def test_get_of_a_version_that_does_not_exist(node: NodeProcess, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x")
    node.cli("put", str(tmp_path / "f"))
    line = one_error_line(node.cli("get", "f", "--version", "99", "-o", str(tmp_path / "o"), check=False))
    assert "99" in line
    assert not (tmp_path / "o").exists()


def test_get_does_not_overwrite_without_force(node: NodeProcess, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"new")
    node.cli("put", str(tmp_path / "f"))
    (tmp_path / "o").write_bytes(b"precious")
    one_error_line(node.cli("get", "f", "-o", str(tmp_path / "o"), check=False))
    assert (tmp_path / "o").read_bytes() == b"precious"
    node.cli("get", "f", "-o", str(tmp_path / "o"), "--force")
    assert (tmp_path / "o").read_bytes() == b"new"


@pytest.mark.parametrize("args", [("put", "--bogus"), ("get", "f", "--version", "0"), ("get",), ("ls", "--jsn"),
                                  ("frobnicate",)], ids=["unknown-option", "bad-version", "missing-argument",
                                                         "misspelt-option", "unknown-command"])
def test_bad_options_are_user_errors(node: NodeProcess, args: tuple[str, ...]) -> None:
    one_error_line(node.cli(*args, check=False))


def test_a_node_that_is_not_running(node: NodeProcess, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x")
    dead = f"http://127.0.0.1:{free_port()}"
    for args in (("ls",), ("put", str(tmp_path / "f")), ("get", "f", "-o", str(tmp_path / "o")), ("status",)):
        line = one_error_line(node.cli(*args, "--node", dead, check=False))
        assert "cannot reach" in line
    assert not (tmp_path / "o").exists()


def test_status_json_and_invite(node: NodeProcess) -> None:
    st = json.loads(node.cli("status", "--json").stdout)
    assert st["stats"]["integrity_errors"] == 0 and st["stats"]["total_files"] == 0
    token = node.cli("invite", "--data-dir", str(node.data_dir)).stdout.decode().strip()
    assert token.startswith("dlbs1-")


def test_piped_output_keeps_whole_names(node: NodeProcess, tmp_path: Path) -> None:
    """Output read by another program (not a terminal) is never cut to 80 columns with '…'."""
    src = tmp_path / "f.bin"
    src.write_bytes(b"x")
    long_name = "photos/2024/" + "summer-holiday-at-the-lake-with-everyone-" * 3 + "IMG_0001.jpg"
    node.cli("put", str(src), "--as", long_name)
    out = node.cli("ls", "photos/2024").stdout.decode()
    assert long_name.rsplit("/", 1)[-1] in out and "…" not in out
