"""`dlbs gui` fails with one readable line, not a traceback, when there is no display."""

from __future__ import annotations

import os
import subprocess
import sys


def test_gui_without_a_display_says_so() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    res = subprocess.run([sys.executable, "-m", "dlbs", "gui", "--node", "http://127.0.0.1:9"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1
    assert "cannot open a window" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
