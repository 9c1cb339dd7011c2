"""What the web page tests share: Debian's Chromium, viewport sizes, and page helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1440, "height": 900}
MOBILE = {"width": 390, "height": 844}
XSS_NAME = "<img src=x onerror=alert(1)>.txt"


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)


def settle(page: Any) -> None:
    """Wait until every finite CSS animation (a drawer sliding in, a dialog popping up) has finished."""
    page.evaluate("""Promise.all(document.getAnimations()
                       .filter((a) => a.effect.getComputedTiming().iterations !== Infinity)
                       .map((a) => a.finished.catch(() => null))).then(() => true)""")  # cancelled counts as done


def unlabelled_controls(page: Any) -> list[str]:
    """Buttons, button-like links and form fields with neither visible text nor a label."""
    return list(page.evaluate(
        """() => [...document.querySelectorAll('button, a.btn, label.btn, input:not([type=hidden]), select, textarea')]
             .filter((e) => {
               const label = (e.getAttribute('aria-label') || e.textContent || '').trim();
               const byFor = e.id && document.querySelector(`label[for="${e.id}"]`);
               return !label && !byFor && !e.closest('label');
             })
             .map((e) => e.outerHTML.slice(0, 120))"""
    ))
