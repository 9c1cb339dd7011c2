"""The Snapshots tab: the node's folder-backup snapshots (newest first) above the contents of the
selected one, shown as an expandable tree.

Only widgets; the App's Snapshots controller fills them and reacts to `on_select`. Owned by the Tk
thread. Like the file tree, `show()` keeps the selection across the periodic refresh.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Literal

from dlbs.gui.filetree import FileTree
from dlbs.gui.snapshots_model import SnapshotRow, is_entry, note_row, placeholder_iid
from dlbs.gui.theme import PALETTE, Fonts
from dlbs.gui.viewmodel import TreeRow

Column = tuple[str, str, int, Literal["w", "e"], bool]
_COLUMNS: tuple[Column, ...] = (
    ("time", "TIME", 160, "w", False), ("id", "ID", 90, "w", False), ("host", "HOST", 90, "w", False),
    ("paths", "PATHS", 260, "w", True), ("files", "FILES", 70, "e", False), ("size", "SIZE", 90, "e", False),
    ("added", "ADDED", 90, "e", False), ("status", "STATUS", 120, "w", False))
NO_SNAPSHOTS = "No snapshots yet. Use “Back up a folder…” to make the first one."
PICK_ONE = "Select a snapshot above to see the files it holds."


class SnapshotPanel(ttk.Frame):
    """`on_select(snapshot_id)` fires when the user (or a test) selects a snapshot in the list;
    `on_change()` whenever the selection in the list or in the contents changes;
    `on_open_folder(path)` when a folder whose contents are not loaded yet is opened."""

    def __init__(self, master: tk.Misc, fonts: Fonts, on_select: Callable[[str], None],
                 on_change: Callable[[], None] | None = None,
                 on_open_folder: Callable[[str], None] | None = None) -> None:
        super().__init__(master)
        self.rows: list[SnapshotRow] = []
        self.contents_of: str | None = None  # the snapshot whose contents are shown
        self._on_select = on_select
        self._on_change = on_change or (lambda: None)
        self._on_open_folder = on_open_folder or (lambda _path: None)
        pane = ttk.PanedWindow(self, orient="vertical")
        pane.pack(fill="both", expand=True)

        top = ttk.Frame(pane, style="Card.TFrame")
        self.list = ttk.Treeview(top, columns=[c[0] for c in _COLUMNS], show="headings", selectmode="browse")
        for name, title, width, anchor, stretch in _COLUMNS:
            self.list.heading(name, text=title, anchor=anchor)
            self.list.column(name, width=width, minwidth=50, anchor=anchor, stretch=stretch)
        self.list.tag_configure("partial", foreground=PALETTE.warning)
        scroll = ttk.Scrollbar(top, orient="vertical", command=self.list.yview)
        self.list.configure(yscrollcommand=scroll.set)
        self.list.grid(row=0, column=0, sticky="nsew")
        scroll.grid(row=0, column=1, sticky="ns")
        top.columnconfigure(0, weight=1)
        top.rowconfigure(0, weight=1)
        self.empty = ttk.Label(top, text=NO_SNAPSHOTS, style="CardMuted.TLabel")
        self.empty.place(relx=0.5, rely=0.5, anchor="center")
        self.list.bind("<<TreeviewSelect>>", self._selected)

        bottom = ttk.Frame(pane)
        head = ttk.Frame(bottom)
        head.pack(fill="x", pady=(12, 6))
        head.columnconfigure(1, weight=1)
        ttk.Label(head, text="CONTENTS", style="Section.TLabel").grid(row=0, column=0, sticky="w")
        self.summary = ttk.Label(head, text="", style="Muted.TLabel")
        self.summary.grid(row=0, column=1, sticky="w", padx=(12, 0))
        self.hint = ttk.Label(head, text="Select a file or folder to restore only that",
                              style="Muted.TLabel", foreground=PALETTE.faint)
        self.hint.grid(row=0, column=2, sticky="e")
        self.contents = FileTree(bottom, fonts, empty_text=PICK_ONE)
        self.contents.tree.heading("#0", text="PATH", anchor="w")
        self.contents.tree.heading("hash", text="HASH / TARGET", anchor="w")
        self.contents.pack(fill="both", expand=True)
        self.contents.placeholder(PICK_ONE)
        self.contents.tree.bind("<<TreeviewSelect>>", lambda _e: self._on_change(), add="+")
        self.contents.tree.bind("<<TreeviewOpen>>", self._opened, add="+")
        pane.add(top, weight=2)
        pane.add(bottom, weight=3)
        self.pane = pane
        pane.bind("<Configure>", self._place_sash, add="+")
        self._sash_placed = False

    def _place_sash(self, _event: object = None) -> None:
        """Once the pane has a size: the list gets about 30% of the height (at least 120 px)."""
        height = self.pane.winfo_height()
        if not self._sash_placed and height > 300:
            self.pane.sashpos(0, max(120, int(height * 0.3)))
            self._sash_placed = True

    # ---- the list ---------------------------------------------------------------------------------

    def show(self, rows: list[SnapshotRow]) -> None:
        selected = self.selected_snapshot()
        self.list.delete(*self.list.get_children())
        for r in rows:
            self.list.insert("", "end", iid=r.iid, tags=("partial",) if r.partial else (),
                             values=(r.time, r.short_id, r.host, r.paths, r.files, r.size, r.added, r.status))
        self.rows = rows
        if selected and self.list.exists(selected):
            self.list.selection_set(selected)
        if rows:
            self.empty.place_forget()
        else:
            self.placeholder(NO_SNAPSHOTS)

    def placeholder(self, text: str) -> None:
        """A centred note over the (empty) list: no snapshots yet, or the node cannot be reached."""
        self.empty.configure(text=text)
        if not self.rows:
            self.empty.place(relx=0.5, rely=0.5, anchor="center")

    def selected_snapshot(self) -> str | None:
        sel = self.list.selection()
        return sel[0] if sel else None

    def select_snapshot(self, snapshot_id: str) -> None:
        """Select a snapshot (the list fires on_select, which loads its contents)."""
        if self.list.exists(snapshot_id):
            self.list.see(snapshot_id)
            self.list.selection_set(snapshot_id)

    def row(self, snapshot_id: str) -> SnapshotRow | None:
        return next((r for r in self.rows if r.iid == snapshot_id), None)

    def _selected(self, _event: object = None) -> None:
        sid = self.selected_snapshot()
        if sid is not None and sid != self.contents_of:
            self._on_select(sid)
        self._on_change()

    # ---- the contents -----------------------------------------------------------------------------

    def show_contents(self, snapshot_id: str, summary: str, rows: list[TreeRow]) -> None:
        fresh = snapshot_id != self.contents_of
        self.contents_of = snapshot_id
        self.summary.configure(text=summary, style="Muted.TLabel")
        self.contents.show(rows, fresh=fresh)
        self._on_change()
        if not rows:
            self.contents.placeholder("This snapshot holds no files.")

    def contents_loading(self, snapshot_id: str, summary: str) -> None:
        self.contents_of = snapshot_id
        self.summary.configure(text=summary, style="Muted.TLabel")
        self.contents.show([], fresh=True)
        self.contents.placeholder("Loading…")
        self._on_change()

    def contents_error(self, text: str) -> None:
        self.summary.configure(text=text, style="Error.TLabel")
        self.contents.show([], fresh=True)
        self.contents.placeholder("Could not load this snapshot.")

    def _opened(self, _event: object = None) -> None:
        """<<TreeviewOpen>> comes before the folder opens, with the folder focused."""
        iid = self.contents.tree.focus()
        if iid and self.unloaded(iid):
            self._on_open_folder(iid[2:])

    def unloaded(self, folder: str) -> bool:
        """Whether a folder row (its iid) still holds only its "Loading…" note (or why that failed)."""
        tree = self.contents.tree
        return folder.startswith("d:") and tree.exists(folder) and tree.get_children(folder) == (
            placeholder_iid(folder),)

    def fill_folder(self, folder: str, rows: list[TreeRow]) -> None:
        """A folder's children have arrived: they replace its "Loading…" note."""
        if self.unloaded(folder):
            self.contents.replace_children(folder, rows)
            self._on_change()

    def folder_error(self, folder: str, text: str) -> None:
        """Loading a folder failed: the note says why (opening the folder again tries again)."""
        if self.unloaded(folder):
            self.contents.replace_children(folder, [note_row(folder, f"⚠ {text}", problem=True)])

    def selected_entry(self) -> TreeRow | None:
        """The one selected file or folder in the contents, or None (also for a "Loading…" note)."""
        row = self.contents.selected_row()
        return row if row is not None and is_entry(row.iid) else None

    def select_entry(self, path: str) -> None:
        """Select an entry by its absolute path, opening the folders above it (used by tests)."""
        for iid in (f"d:{path}", f"f:{path}"):
            if self.contents.tree.exists(iid):
                self.contents.tree.see(iid)
                self.contents.tree.selection_set(iid)
                return

    def release_images(self) -> None:
        self.contents.release_images()
