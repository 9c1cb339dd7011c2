"""Path rules (core/paths.py): what a logical path may be, and that valid ones pass unchanged."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlbs.core.paths import MAX_PATH_BYTES, under_prefix, validate_path, validate_prefix
from dlbs.errors import InvalidInput

# A segment: any Unicode text without '/' or NUL that is not '.' or '..'.
segment_chars = st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",))
segments = st.text(segment_chars, min_size=1, max_size=20).filter(lambda s: s not in (".", ".."))
valid_paths = st.lists(segments, min_size=1, max_size=6).map("/".join).filter(
    lambda p: not p.startswith("\\") and not (len(p) > 2 and p[1] == ":" and p[0].isalpha() and p[2] in "/\\")
)


@given(valid_paths)
def test_valid_paths_pass_unchanged(path: str) -> None:
    assert validate_path(path) == path


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_any_text_is_accepted_unchanged_or_rejected_with_invalid_input(text: str) -> None:
    try:
        out = validate_path(text)
    except InvalidInput as exc:
        assert exc.message and exc.detail
    else:
        assert out == text


@given(st.lists(segments, max_size=3), st.sampled_from([".", ".."]), st.lists(segments, max_size=3))
def test_dot_segments_are_rejected_anywhere(before: list[str], dots: str, after: list[str]) -> None:
    with pytest.raises(InvalidInput):
        validate_path("/".join([*before, dots, *after]))


@given(valid_paths, st.integers(min_value=0, max_value=200))
def test_nul_bytes_are_rejected_anywhere(path: str, at: int) -> None:
    at = min(at, len(path))
    with pytest.raises(InvalidInput, match="invalid path"):
        validate_path(path[:at] + "\x00" + path[at:])


@given(valid_paths)
def test_absolute_paths_are_rejected(path: str) -> None:
    for absolute in ("/" + path, "\\" + path, "C:/" + path, "c:\\" + path):
        with pytest.raises(InvalidInput):
            validate_path(absolute)


@given(valid_paths)
def test_empty_segments_are_rejected(path: str) -> None:
    for bad in (path + "/", path + "//x", "x//" + path):
        with pytest.raises(InvalidInput):
            validate_path(bad)


@pytest.mark.parametrize("bad", ["", None, 42, b"bytes", "\ud800x"])
def test_empty_non_string_and_unencodable_are_rejected(bad: object) -> None:
    with pytest.raises(InvalidInput):
        validate_path(bad)


def test_length_limit_is_in_utf8_bytes() -> None:
    seg = "a" * 1000
    at_limit = "/".join([seg] * 4) + "/" + "b" * (MAX_PATH_BYTES - 4004)
    assert len(at_limit.encode()) == MAX_PATH_BYTES
    assert validate_path(at_limit) == at_limit
    with pytest.raises(InvalidInput, match="invalid path"):
        validate_path(at_limit + "c")
    multibyte = "/".join(["ж" * 500] * 5)  # 5 * 1000 bytes + 4 > 4096, only 2504 characters
    with pytest.raises(InvalidInput):
        validate_path(multibyte)


def test_overlong_segment_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        validate_path("a" * 1025)
    assert validate_path("a" * 1024)


@pytest.mark.parametrize("name", ["Ünïcode файл.txt", "a&b.txt", "dir/sub dir/50% #1.txt", "a\\b", "..a/b..", "~/x",
                                  " leading space", "C:relative", "emoji 😀/ok"])
def test_unusual_but_valid_names_are_kept_exactly(name: str) -> None:
    assert validate_path(name) == name


def test_prefix_rules() -> None:
    assert validate_prefix("") == ""
    assert validate_prefix("/") == ""
    assert validate_prefix("docs/") == "docs"
    assert validate_prefix("docs/a") == "docs/a"
    with pytest.raises(InvalidInput):
        validate_prefix("../x")
    assert under_prefix("docs/a.txt", "docs")
    assert under_prefix("docs", "docs")
    assert not under_prefix("docs2/a.txt", "docs")
    assert not under_prefix("doc", "docs")
    assert under_prefix("anything", "")
