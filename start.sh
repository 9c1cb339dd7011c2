#!/usr/bin/env bash
# dlbs set-up in one command.
#   ./start.sh [dlbs node options]   create .venv, install dlbs, run a node with defaults
#   ./start.sh test [pytest args]    install the test extras (and Chromium/Xvfb via apt-get), run all tests
set -euo pipefail
HERE=$PWD  # where the user ran it from: relative paths in the node options mean this folder
cd "$(dirname "$0")"

PY=${PYTHON:-python3}
VENV=.venv

need_python() {
  if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "dlbs needs Python 3.11 or newer (found: $("$PY" --version 2>&1))" >&2
    exit 1
  fi
}

# Install (or refresh) the package into .venv; skipped quickly when pyproject.toml is unchanged.
install() {
  local extras=$1
  need_python
  if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV" >&2
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.dlbs-installed-$extras"
  local want
  want=$(cat pyproject.toml | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "installing dlbs${extras:+ [$extras]} into $VENV" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
    if [ -n "$extras" ]; then
      "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[$extras]"
    else
      "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e .
    fi
    echo "$want" > "$stamp"
  fi
}

# System packages the end-to-end tests drive: Chromium (Playwright), Xvfb + ImageMagick (Tk app).
install_test_system_packages() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
  command -v import >/dev/null 2>&1 || missing+=(imagemagick)
  "$VENV/bin/python" -c 'import tkinter' 2>/dev/null || missing+=(python3-tk)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  echo "installing system packages for the tests: ${missing[*]}" >&2
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"; } >/dev/null; then
    echo "warning: could not install ${missing[*]}; the browser/desktop tests will be skipped" >&2
  fi
}

case "${1:-}" in
  test)
    shift
    install test
    install_test_system_packages
    echo "ruff:" >&2
    "$VENV/bin/ruff" check src tests bench
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    install ""
    DLBS=$PWD/$VENV/bin/dlbs
    cd "$HERE"
    exec "$DLBS" node "$@"
    ;;
esac
