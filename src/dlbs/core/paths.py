"""Rules for logical paths: the names files have inside the backup network.

A logical path is a `/`-separated Unicode string kept exactly as given (no normalisation, no
replacement of characters: v2.0 turned `Ünïcode файл.txt` into `Unicode_.txt`). It is relative,
its segments are never empty, `.` or `..`, it holds no NUL byte, and it is at most 4096 bytes of
UTF-8. Every path that enters the system passes through `validate_path` first.
"""

from __future__ import annotations

from dlbs.errors import InvalidInput

MAX_PATH_BYTES = 4096
MAX_SEGMENT_BYTES = 1024


def validate_path(path: object, allow_surrogates: bool = False) -> str:
    """Return `path` unchanged if it is a valid logical path, else raise InvalidInput.

    `allow_surrogates` admits names that were not valid UTF-8 on disk (Python's surrogateescape),
    as snapshot trees must keep them to restore the original bytes."""
    if not isinstance(path, str):
        raise InvalidInput("invalid path", "a path must be a string")
    if path == "":
        raise InvalidInput("invalid path", "the path is empty")
    if "\x00" in path:
        raise InvalidInput("invalid path", "the path contains a NUL byte")
    try:
        encoded = path.encode("utf-8", "surrogateescape" if allow_surrogates else "strict")
    except UnicodeEncodeError as exc:
        raise InvalidInput("invalid path", "the path is not valid Unicode") from exc
    if len(encoded) > MAX_PATH_BYTES:
        raise InvalidInput("invalid path", f"the path is {len(encoded)} bytes; the limit is {MAX_PATH_BYTES}")
    if path.startswith("/") or path.startswith("\\") or (len(path) > 1 and path[1] == ":" and path[0].isalpha()
                                                         and path[2:3] in ("/", "\\")):
        raise InvalidInput("invalid path", "absolute paths are not allowed; give a path relative to the root")
    for segment in path.split("/"):
        if segment == "":
            raise InvalidInput("invalid path", "the path has an empty segment (a leading, trailing or double '/')")
        if segment in (".", ".."):
            raise InvalidInput("invalid path", f"the path has a '{segment}' segment")
        if len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
            raise InvalidInput("invalid path", f"a path segment is longer than {MAX_SEGMENT_BYTES} bytes")
    return path


def validate_prefix(prefix: str) -> str:
    """A listing prefix: empty (everything) or a valid path, with an optional trailing '/'."""
    if prefix in ("", "/"):
        return ""
    stripped = prefix[:-1] if prefix.endswith("/") else prefix
    validate_path(stripped)
    return stripped


def under_prefix(path: str, prefix: str) -> bool:
    """True if `path` is `prefix` itself or lies in the folder `prefix`."""
    return prefix == "" or path == prefix or path.startswith(prefix + "/")
