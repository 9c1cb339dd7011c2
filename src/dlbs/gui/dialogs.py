"""The app's two dialogs: Settings (peers, sync schedule, replicas) and a file's History.

Both are views only: they show what the App gives them and hand the user's input back through
callbacks; the App does the network calls (off the Tk thread) and reports the outcome with
`show_error` / `close`. Owned by the Tk thread.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Literal

from dlbs.gui.theme import PALETTE, Fonts
from dlbs.gui.viewmodel import HistoryRow


def _centred(master: tk.Misc, size: str) -> str:
    """`+x+y` that centres a `WxH` window over `master`'s window."""
    top = master.winfo_toplevel()
    w, h = (int(v) for v in size.split("x"))
    x = top.winfo_rootx() + max(0, (top.winfo_width() - w) // 2)
    y = top.winfo_rooty() + max(0, (top.winfo_height() - h) // 3)
    return f"+{x}+{y}"


class _Dialog(tk.Toplevel):
    def __init__(self, master: tk.Misc, title: str, size: str) -> None:
        super().__init__(master, background=PALETTE.bg, highlightthickness=1,
                         highlightbackground=PALETTE.border, highlightcolor=PALETTE.border)
        self.title(title)
        self.geometry(size + _centred(master, size))
        self.minsize(420, 300)
        self.transient(master.winfo_toplevel())
        self.body = ttk.Frame(self, padding=20)
        self.body.pack(fill="both", expand=True)
        self.bind("<Escape>", lambda _e: self.close())
        self.protocol("WM_DELETE_WINDOW", self.close)

    def close(self) -> None:
        if self.winfo_exists():
            self.destroy()


class SettingsDialog(_Dialog):
    """Edit the node list (one host:port per line), the sync schedule and the replica count."""

    def __init__(self, master: tk.Misc, fonts: Fonts, on_save: Callable[[str, str, str], None]) -> None:
        super().__init__(master, "dlbs · Settings", "520x520")
        self._on_save = on_save
        b = self.body
        b.columnconfigure(0, weight=1)
        ttk.Label(b, text="PEER NODES", style="Section.TLabel").grid(row=0, column=0, sticky="w")
        ttk.Label(b, text="One host:port per line, e.g. 192.168.1.10:8000", style="Muted.TLabel").grid(
            row=1, column=0, sticky="w", pady=(2, 6))
        self.nodes = tk.Text(b, height=6, font=fonts.mono, background=PALETTE.raised, foreground=PALETTE.text,
                             insertbackground=PALETTE.text, borderwidth=0, highlightthickness=1,
                             highlightbackground=PALETTE.border, highlightcolor=PALETTE.accent, padx=8, pady=6)
        self.nodes.grid(row=2, column=0, sticky="nsew")
        b.rowconfigure(2, weight=1)

        grid = ttk.Frame(b)
        grid.grid(row=3, column=0, sticky="ew", pady=(18, 0))
        grid.columnconfigure(1, weight=1)
        ttk.Label(grid, text="SYNC SCHEDULE", style="Section.TLabel").grid(row=0, column=0, sticky="w")
        self.schedule = ttk.Combobox(grid, values=("daily", "hourly", "600", "3600"), width=18)
        self.schedule.grid(row=0, column=1, sticky="w", padx=(16, 0))
        ttk.Label(grid, text="daily, hourly, or seconds", style="Muted.TLabel").grid(
            row=0, column=2, sticky="w", padx=(10, 0))
        ttk.Label(grid, text="REPLICAS", style="Section.TLabel").grid(row=1, column=0, sticky="w", pady=(12, 0))
        self.replicas = ttk.Entry(grid, width=20)
        self.replicas.grid(row=1, column=1, sticky="w", padx=(16, 0), pady=(12, 0))
        ttk.Label(grid, text="blank: every node keeps every chunk", style="Muted.TLabel").grid(
            row=1, column=2, sticky="w", padx=(10, 0), pady=(12, 0))

        self.error = ttk.Label(b, text="", style="Error.TLabel", wraplength=460, justify="left")
        self.error.grid(row=4, column=0, sticky="ew", pady=(14, 0))
        buttons = ttk.Frame(b)
        buttons.grid(row=5, column=0, sticky="e", pady=(14, 0))
        ttk.Button(buttons, text="Cancel", command=self.close).pack(side="right")
        self.save_button = ttk.Button(buttons, text="Save", style="Accent.TButton", command=self.save)
        self.save_button.pack(side="right", padx=(0, 8))
        self.set_busy(True, "Loading the node's settings…")

    def fill(self, nodes: str, schedule: str, replicas: str) -> None:
        self.nodes.delete("1.0", "end")
        self.nodes.insert("1.0", nodes)
        self.schedule.set(schedule)
        self.replicas.delete(0, "end")
        self.replicas.insert(0, replicas)
        self.set_busy(False)

    def values(self) -> tuple[str, str, str]:
        return self.nodes.get("1.0", "end-1c"), self.schedule.get(), self.replicas.get()

    def set_values(self, nodes: str, schedule: str, replicas: str) -> None:
        """Type into the form (what a user would do; used by tests)."""
        self.fill(nodes, schedule, replicas)

    def save(self) -> None:
        self._on_save(*self.values())

    def set_busy(self, busy: bool, message: str = "") -> None:
        self.save_button.state(["disabled"] if busy else ["!disabled"])
        self.error.configure(text=message, style="Muted.TLabel" if busy else "Error.TLabel")

    def show_error(self, text: str) -> None:
        self.save_button.state(["!disabled"])
        self.error.configure(text=text, style="Error.TLabel")


class HistoryDialog(_Dialog):
    """A file's versions, newest first: restore one as the current version, or save one to disk."""

    def __init__(self, master: tk.Misc, fonts: Fonts, path: str, on_restore: Callable[[int], None],
                 on_download: Callable[[int], None]) -> None:
        super().__init__(master, f"dlbs · History of {path}", "760x420")
        self.path = path
        self.rows: list[HistoryRow] = []
        b = self.body
        b.columnconfigure(0, weight=1)
        b.rowconfigure(2, weight=1)
        ttk.Label(b, text="HISTORY", style="Section.TLabel").grid(row=0, column=0, sticky="w")
        ttk.Label(b, text=path, font=fonts.bold).grid(row=1, column=0, sticky="w", pady=(2, 10))
        frame = ttk.Frame(b, style="Card.TFrame")
        frame.grid(row=2, column=0, sticky="nsew")
        frame.columnconfigure(0, weight=1)
        frame.rowconfigure(0, weight=1)
        cols: tuple[tuple[str, str, int, Literal["w", "e"]], ...] = (
            ("version", "VERSION", 80, "e"), ("time", "SAVED", 170, "w"), ("size", "SIZE", 100, "e"),
            ("hash", "HASH", 130, "w"), ("origin", "FROM NODE", 150, "w"))
        self.tree = ttk.Treeview(frame, columns=[c[0] for c in cols], show="headings", selectmode="browse")
        for name, title, width, anchor in cols:
            self.tree.heading(name, text=title, anchor=anchor)
            self.tree.column(name, width=width, anchor=anchor, stretch=name == "origin")
        self.tree.tag_configure("current", foreground=PALETTE.success)
        self.tree.tag_configure("deleted", foreground=PALETTE.faint)
        self.tree.grid(row=0, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(frame, orient="vertical", command=self.tree.yview)
        self.tree.configure(yscrollcommand=scroll.set)
        scroll.grid(row=0, column=1, sticky="ns")
        self.note = ttk.Label(b, text="Loading…", style="Muted.TLabel")
        self.note.grid(row=3, column=0, sticky="w", pady=(10, 0))
        buttons = ttk.Frame(b)
        buttons.grid(row=4, column=0, sticky="e", pady=(10, 0))
        ttk.Button(buttons, text="Close", command=self.close).pack(side="right")
        ttk.Button(buttons, text="Save version as…", command=lambda: self._with_version(on_download)).pack(
            side="right", padx=(0, 8))
        ttk.Button(buttons, text="Restore this version", style="Accent.TButton",
                   command=lambda: self._with_version(on_restore)).pack(side="right", padx=(0, 8))

    def show(self, rows: list[HistoryRow]) -> None:
        self.rows = rows
        self.tree.delete(*self.tree.get_children())
        for r in rows:
            tags = ("current",) if r.current else ("deleted",) if r.deleted else ()
            label = f"{r.version}{'  ✔' if r.current else ''}"
            self.tree.insert("", "end", iid=str(r.version), values=(label, r.time, r.size, r.hash, r.origin),
                             tags=tags)
        count = len(rows)
        self.note.configure(text=f"{count} version{'s' if count != 1 else ''}; the current one is in green.",
                            style="Muted.TLabel")
        if rows:
            self.tree.selection_set(str(rows[0].version))

    def show_error(self, text: str) -> None:
        self.note.configure(text=text, style="Error.TLabel")

    def select_version(self, version: int) -> None:
        self.tree.selection_set(str(version))

    def _with_version(self, action: Callable[[int], None]) -> None:
        sel = self.tree.selection()
        if not sel:
            self.show_error("Select a version first.")
            return
        action(int(sel[0]))
