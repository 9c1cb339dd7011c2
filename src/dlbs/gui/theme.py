"""The app's dark theme: one palette, the fonts, and the ttk styles every widget uses.

`apply_theme(root)` configures ttk's `clam` theme once; widgets then only name a style
(`Accent.TButton`, `Card.TFrame`, ...), so the look is defined here and nowhere else.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from dataclasses import dataclass
from tkinter import ttk


@dataclass(frozen=True)
class Palette:
    bg: str = "#16181d"          # window background
    surface: str = "#1f232b"     # panels and cards
    raised: str = "#272c36"      # headings, inputs, hovered rows
    border: str = "#323845"
    text: str = "#e6e9ef"
    muted: str = "#9aa3b2"
    faint: str = "#6b7383"
    accent: str = "#5b9dff"
    accent_hover: str = "#78b0ff"
    accent_text: str = "#0b1220"
    select: str = "#2c4a78"
    success: str = "#4cc38a"
    warning: str = "#e6b450"
    error: str = "#ff6b6b"
    info: str = "#8fb8ff"
    danger_bg: str = "#3a2024"


PALETTE = Palette()
LEVEL_COLOURS = {"info": PALETTE.info, "success": PALETTE.success, "warning": PALETTE.warning,
                 "error": PALETTE.error}
STATE_COLOURS = {"online": PALETTE.success, "offline": PALETTE.error, "none": PALETTE.faint}

_SANS = ("Inter", "Segoe UI", "SF Pro Text", "Cantarell", "Noto Sans", "Ubuntu", "DejaVu Sans",
         "Liberation Sans", "Helvetica")
_MONO = ("JetBrains Mono", "Cascadia Mono", "SF Mono", "Consolas", "Noto Sans Mono", "DejaVu Sans Mono",
         "Liberation Mono", "Courier")


@dataclass(frozen=True)
class Fonts:
    body: tkfont.Font
    bold: tkfont.Font
    small: tkfont.Font
    title: tkfont.Font
    stat: tkfont.Font
    mono: tkfont.Font
    caps: tkfont.Font


def _pick(root: tk.Misc, candidates: tuple[str, ...]) -> str:
    available = {f.lower(): f for f in tkfont.families(root)}
    for name in candidates:
        if name.lower() in available:
            return available[name.lower()]
    return candidates[-1]


def apply_theme(root: tk.Tk) -> Fonts:
    """Style `root` and every ttk widget; returns the fonts for the few plain-tk widgets (Text)."""
    p = PALETTE
    sans, mono = _pick(root, _SANS), _pick(root, _MONO)
    for name in ("TkDefaultFont", "TkTextFont", "TkMenuFont", "TkHeadingFont"):
        tkfont.nametofont(name, root).configure(family=sans, size=10)
    fonts = Fonts(
        body=tkfont.Font(root, family=sans, size=10),
        bold=tkfont.Font(root, family=sans, size=10, weight="bold"),
        small=tkfont.Font(root, family=sans, size=9),
        title=tkfont.Font(root, family=sans, size=15, weight="bold"),
        stat=tkfont.Font(root, family=sans, size=17, weight="bold"),
        mono=tkfont.Font(root, family=mono, size=9),
        caps=tkfont.Font(root, family=sans, size=8, weight="bold"),
    )
    root.configure(background=p.bg)
    root.option_add("*tearOff", False)
    for opt, val in (("background", p.raised), ("foreground", p.text), ("selectBackground", p.select),
                     ("selectForeground", p.text), ("insertBackground", p.text)):
        root.option_add(f"*TCombobox*Listbox.{opt}", val)

    s = ttk.Style(root)
    s.theme_use("clam")
    s.configure(".", background=p.bg, foreground=p.text, fieldbackground=p.raised, bordercolor=p.border,
                lightcolor=p.border, darkcolor=p.border, troughcolor=p.surface, focuscolor=p.accent,
                selectbackground=p.select, selectforeground=p.text, insertcolor=p.text, font=fonts.body)
    s.map(".", foreground=[("disabled", p.faint)])

    for name, bg in (("TFrame", p.bg), ("Card.TFrame", p.surface), ("Header.TFrame", p.surface),
                     ("Status.TFrame", p.surface)):
        s.configure(name, background=bg)
    s.configure("Card.TFrame", relief="flat", borderwidth=0)
    s.configure("TLabel", background=p.bg, foreground=p.text)
    s.configure("Card.TLabel", background=p.surface, foreground=p.text)
    s.configure("Muted.TLabel", background=p.bg, foreground=p.muted, font=fonts.small)
    s.configure("CardMuted.TLabel", background=p.surface, foreground=p.muted, font=fonts.small)
    s.configure("Caps.TLabel", background=p.surface, foreground=p.muted, font=fonts.caps)
    s.configure("Section.TLabel", background=p.bg, foreground=p.muted, font=fonts.caps)
    s.configure("Title.TLabel", background=p.surface, foreground=p.text, font=fonts.title)
    s.configure("Logo.TLabel", background=p.surface, foreground=p.accent, font=fonts.title)
    s.configure("Stat.TLabel", background=p.surface, foreground=p.text, font=fonts.stat)
    s.configure("Status.TLabel", background=p.surface, foreground=p.muted, font=fonts.small)
    s.configure("Error.TLabel", background=p.bg, foreground=p.error, font=fonts.small)
    for state, colour in (("Online", p.success), ("Offline", p.error), ("Pending", p.warning)):
        s.configure(f"{state}.Pill.TLabel", background=p.raised, foreground=colour, font=fonts.bold,
                    padding=(10, 3))

    s.configure("TButton", background=p.raised, foreground=p.text, bordercolor=p.border, padding=(12, 6),
                relief="flat", focusthickness=1, focuscolor=p.accent)
    s.map("TButton", background=[("disabled", p.surface), ("pressed", p.border), ("active", p.border)],
          bordercolor=[("focus", p.accent)])
    s.configure("Accent.TButton", background=p.accent, foreground=p.accent_text, bordercolor=p.accent,
                font=fonts.bold)
    s.map("Accent.TButton", background=[("disabled", p.raised), ("pressed", p.accent), ("active", p.accent_hover)],
          foreground=[("disabled", p.faint)])
    s.configure("Danger.TButton", foreground=p.error)
    s.map("Danger.TButton", background=[("disabled", p.surface), ("active", p.danger_bg)],
          foreground=[("disabled", p.faint)])

    s.configure("TEntry", fieldbackground=p.raised, foreground=p.text, bordercolor=p.border, padding=6,
                insertcolor=p.text)
    s.map("TEntry", bordercolor=[("focus", p.accent)], lightcolor=[("focus", p.accent)])
    s.configure("TCombobox", fieldbackground=p.raised, background=p.raised, foreground=p.text,
                arrowcolor=p.muted, bordercolor=p.border, padding=5)
    s.map("TCombobox", fieldbackground=[("readonly", p.raised)], bordercolor=[("focus", p.accent)],
          selectbackground=[("readonly", p.raised)], selectforeground=[("readonly", p.text)])

    s.configure("Treeview", background=p.surface, fieldbackground=p.surface, foreground=p.text,
                bordercolor=p.surface, lightcolor=p.surface, darkcolor=p.surface, rowheight=26, font=fonts.body)
    s.map("Treeview", background=[("selected", p.select)], foreground=[("selected", p.text)])
    s.configure("Treeview.Heading", background=p.raised, foreground=p.muted, bordercolor=p.border,
                lightcolor=p.raised, darkcolor=p.raised, relief="flat", font=fonts.caps, padding=(8, 6))
    s.map("Treeview.Heading", background=[("active", p.border)])
    s.layout("Treeview", [("Treeview.treearea", {"sticky": "nswe"})])  # no sunken border
    s.configure("Nodes.Treeview", rowheight=40)

    for orient in ("Vertical", "Horizontal"):
        s.configure(f"{orient}.TScrollbar", background=p.raised, troughcolor=p.surface, bordercolor=p.surface,
                    lightcolor=p.raised, darkcolor=p.raised, arrowcolor=p.muted, gripcount=0, arrowsize=12)
        s.map(f"{orient}.TScrollbar", background=[("active", p.border)])
    s.configure("Horizontal.TProgressbar", background=p.accent, troughcolor=p.raised, bordercolor=p.surface,
                lightcolor=p.accent, darkcolor=p.accent, thickness=6)
    # tabs: flat labels on the window background; the open one a surface-coloured tab in accent text
    s.configure("TNotebook", background=p.bg, borderwidth=0, bordercolor=p.bg, lightcolor=p.bg, darkcolor=p.bg,
                tabmargins=(0, 0, 0, 0))
    s.configure("TNotebook.Tab", background=p.bg, foreground=p.muted, bordercolor=p.bg, lightcolor=p.bg,
                darkcolor=p.bg, padding=(18, 7), font=fonts.bold, focuscolor=p.surface)
    s.map("TNotebook.Tab", background=[("selected", p.surface), ("active", p.raised)],
          foreground=[("selected", p.accent), ("active", p.text)],
          lightcolor=[("selected", p.surface)], darkcolor=[("selected", p.surface)],
          bordercolor=[("selected", p.surface)], padding=[("selected", (18, 7))],
          expand=[("selected", (0, 0, 0, 0))])
    s.configure("TPanedwindow", background=p.bg)
    s.configure("Sash", sashthickness=8, background=p.bg, bordercolor=p.bg, lightcolor=p.bg, darkcolor=p.bg,
                gripcount=0)
    s.configure("TSeparator", background=p.border)
    return fonts
