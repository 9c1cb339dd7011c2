"""Snapshot trees (core/snapshot.py): encode/decode round trip, corrupt trees raise IntegrityError
(never another exception), diff_trees, SnapshotInfo through its catalog form."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbs.core.model import ChunkRef, Version
from dlbs.core.paths import under_prefix as under
from dlbs.core.snapshot import DIR, FILE, SYMLINK, SnapshotInfo, TreeEntry, decode_tree, diff_trees, encode_tree
from dlbs.errors import IntegrityError

# Characters str.splitlines() splits on (a tree must not split on them).
LINE_BREAKS = "\x85\u2028\u2029"
segment = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00" + LINE_BREAKS), min_size=1,
                  max_size=12).filter(lambda s: s not in (".", "..") and not s.startswith("\\"))
paths = st.lists(segment, min_size=1, max_size=4).map("/".join)
chunk_refs = st.lists(st.builds(ChunkRef, st.binary(min_size=32, max_size=32), st.integers(1, 2**31)), max_size=4)


@st.composite
def entries(draw: st.DrawFn, path: str) -> TreeEntry:
    kind = draw(st.sampled_from([FILE, DIR, SYMLINK]))
    mode = draw(st.integers(0, 0o7777))
    mtime = draw(st.integers(-(2**62), 2**62))
    if kind == FILE:
        return TreeEntry(path, FILE, mode, mtime, draw(st.integers(0, 2**50)), draw(st.text("0123456789abcdef",
                         min_size=64, max_size=64)), tuple(draw(chunk_refs)), inode=draw(st.integers(0, 2**63)))
    if kind == SYMLINK:
        return TreeEntry(path, SYMLINK, mode, mtime, target=draw(st.text(st.characters(
            blacklist_categories=("Cs",), blacklist_characters=LINE_BREAKS), max_size=40)))
    return TreeEntry(path, DIR, mode, mtime)


trees = st.lists(paths, unique=True, max_size=30).flatmap(lambda ps: st.tuples(*(entries(p) for p in ps)))


@settings(max_examples=200, deadline=None)
@given(trees)
def test_tree_round_trip(tree: tuple[TreeEntry, ...]) -> None:
    data = encode_tree(list(tree))
    assert decode_tree(data) == sorted(tree, key=lambda e: e.path)
    assert encode_tree(decode_tree(data)) == data  # canonical: sorted, stable


@pytest.mark.parametrize("name", ["a\u2028b", "a\x85b", "a\u2029b"])
def test_names_with_unicode_line_breaks_round_trip(name: str) -> None:
    tree = [TreeEntry(f"home/{name}", FILE, 0o644, 1, 0, "e3" * 32), TreeEntry(f"home/{name}.lnk", SYMLINK, 0o777, 1,
                                                                               target=name)]
    assert decode_tree(encode_tree(tree)) == tree


def test_tree_is_json_lines_with_a_header() -> None:
    e = TreeEntry("home/u/ä.txt", FILE, 0o644, 5, 3, "ab" * 32, (ChunkRef(b"\x01" * 32, 3),), inode=7)
    lines = encode_tree([TreeEntry("home/u", DIR, 0o755, 1), e]).decode().splitlines()
    assert json.loads(lines[0]) == {"format": 1}
    assert json.loads(lines[1]) == {"p": "home/u", "t": "dir", "m": 0o755, "mt": 1}
    assert json.loads(lines[2]) == {"p": "home/u/ä.txt", "t": "file", "m": 0o644, "mt": 5, "s": 3, "h": "ab" * 32,
                                    "c": [["01" * 32, 3]], "i": 7}


GOOD = b'{"format":1}\n{"p":"a","t":"dir","m":493,"mt":1}\n'


@pytest.mark.parametrize("data", [
    b"", b"\n", b"not json\n", b"\xff\xfe\n", b'{"format":2}\n', b'{}\n', b'{"format":1}\n{"p":"a"}\n',
    b'{"format":1}\n{"p":"a","t":"fifo","m":1,"mt":1}\n',
    b'{"format":1}\n{"p":"/etc/passwd","t":"file","m":1,"mt":1}\n',
    b'{"format":1}\n{"p":"a/../../x","t":"file","m":1,"mt":1}\n',
    b'{"format":1}\n{"p":"a","t":"file","m":"x","mt":1}\n',
    b'{"format":1}\n{"p":"a","t":"file","m":1,"mt":1,"c":[["zz",1]]}\n',
    b'{"format":1}\n{"p":"a","t":"file","m":1,"mt":1,"c":[1]}\n',
    b'{"format":1}\n[1]\n', b'{"format":1}\n"a"\n', b'{"format":1}\n{"p":5,"t":"dir","m":1,"mt":1}\n',
    GOOD[:-8],
])
def test_a_corrupt_tree_raises_integrity_error(data: bytes) -> None:
    with pytest.raises(IntegrityError):
        decode_tree(data)


def test_a_tree_whose_header_is_not_an_object_raises_integrity_error() -> None:
    with pytest.raises(IntegrityError):
        decode_tree(b"[]\n")


def test_a_tree_with_an_infinite_number_raises_integrity_error() -> None:
    with pytest.raises(IntegrityError):
        decode_tree(b'{"format":1}\n{"p":"a","t":"dir","m":1e400,"mt":1}\n')


@settings(max_examples=300, deadline=None)
@given(trees, st.data())
def test_damaged_trees_decode_or_raise_integrity_error(tree: tuple[TreeEntry, ...], data: st.DataObject) -> None:
    raw = bytearray(encode_tree(list(tree)))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.sampled_from(b'{}[]":,0123456789ex\n\\/.'))
    with contextlib.suppress(IntegrityError):
        decode_tree(bytes(raw))


def f(path: str, sha: str = "a" * 64, mode: int = 0o644, mtime: int = 1) -> TreeEntry:
    return TreeEntry(path, FILE, mode, mtime, 1, sha, ())


def test_diff_trees() -> None:
    old = [TreeEntry("r", DIR, 0o755, 1), f("r/same"), f("r/touched"), f("r/edited"), f("r/chmod"), f("r/gone"),
           TreeEntry("r/link", SYMLINK, 0o777, 1, target="a"), TreeEntry("r/kind", DIR, 0o755, 1)]
    new = [TreeEntry("r", DIR, 0o700, 9), f("r/same"), f("r/touched", mtime=99), f("r/edited", sha="b" * 64),
           f("r/chmod", mode=0o600), f("r/new"), TreeEntry("r/link", SYMLINK, 0o777, 1, target="b"),
           f("r/kind")]
    d = diff_trees(old, new)
    assert d.added == ("r/new",)
    assert d.removed == ("r/gone",)
    assert d.changed == ("r", "r/chmod", "r/edited", "r/kind", "r/link")  # an mtime alone is not a change


@settings(max_examples=100, deadline=None)
@given(trees, trees)
def test_diff_trees_properties(a: tuple[TreeEntry, ...], b: tuple[TreeEntry, ...]) -> None:
    d = diff_trees(list(a), list(b))
    pa, pb = {e.path for e in a}, {e.path for e in b}
    assert set(d.added) == pb - pa and set(d.removed) == pa - pb and set(d.changed) <= pa & pb
    assert diff_trees(list(a), list(a)) == diff_trees([], []) == type(d)((), (), ())
    rev = diff_trees(list(b), list(a))
    assert (rev.added, rev.removed, rev.changed) == (d.removed, d.added, d.changed)


def test_under() -> None:
    assert under("a/b", "") and under("a/b", "a") and under("a/b", "a/b")
    assert not under("ab", "a") and not under("a", "a/b")


def test_snapshot_info_from_its_catalog_entry() -> None:
    info = SnapshotInfo(id="ab" * 16, time=1.5, host="h", node_id="n1", paths=("/x",), files=2, dirs=1, symlinks=0,
                        size=10, added_bytes=4, partial=True, errors=("e",), excludes=("*.tmp",), parent="cd" * 16,
                        tree=(ChunkRef(b"\x02" * 32, 9),))
    v = Version(origin="n1", seq=3, path=info.id, hlc=1, deleted=False, size=10, mode=0, mtime_ns=0, sha256="",
                chunks=info.tree, kind="snapshot", meta=info.meta_json())
    assert SnapshotInfo.from_version(v) == info
    assert info.short_id == "abababab"
    assert info.to_json()["partial"] is True and info.to_json()["parent"] == "cd" * 16


def _entry(kind: str, path: str, meta: str = "", deleted: bool = False) -> Version:
    return Version(origin="n", seq=1, path=path, hlc=1, deleted=deleted, size=0, mode=0, mtime_ns=0, sha256="",
                   chunks=(), supersedes=(), node_name="n", kind=kind, meta=meta)


def test_entries_received_from_a_peer_are_described_in_words() -> None:
    from dlbs.core.snapshot import describe_entry

    sid = "c9ec7e4c699748ea0ab53610bffb3de1"
    assert describe_entry(_entry("snapshot", sid, '{"paths": ["/home/me/Documents"]}')) == \
        "received snapshot c9ec7e4c of /home/me/Documents"
    assert describe_entry(_entry("snapshot", sid, "{not json")) == "received snapshot c9ec7e4c"
    assert describe_entry(_entry("forget", "forget-1234")) == "received a forget of older snapshots"
    assert describe_entry(_entry("file", "photos/a.jpg")) == "received photos/a.jpg"
    assert describe_entry(_entry("file", "photos/a.jpg", deleted=True)) == "deleted photos/a.jpg"
