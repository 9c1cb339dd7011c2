"""The file tree: folders expandable, with size, modified time and short hash columns.

Owned by the Tk thread. `show(rows)` replaces the content with the view model's rows while keeping
which folders are open and what is selected, so a periodic refresh never disturbs the user.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Literal

from dlbs.gui.theme import PALETTE, Fonts
from dlbs.gui.viewmodel import TreeRow, files_under

Column = tuple[str, str, int, Literal["w", "e"]]
_COLUMNS: tuple[Column, ...] = (
    ("size", "SIZE", 100, "e"), ("modified", "MODIFIED", 150, "w"), ("hash", "HASH", 130, "w"))


def _icon(master: tk.Misc, folder: bool) -> tk.PhotoImage:
    """A 16x14 folder or document glyph drawn in code (no image files, no emoji font needed)."""
    img = tk.PhotoImage(master=master, width=16, height=14)
    if folder:
        img.put(PALETTE.warning, to=(1, 1, 7, 3))
        img.put(PALETTE.warning, to=(1, 3, 15, 13))
        img.put("#c99a3e", to=(1, 5, 15, 6))
    else:
        img.put(PALETTE.muted, to=(3, 0, 11, 14))
        img.put(PALETTE.muted, to=(11, 4, 14, 14))
        img.put(PALETTE.surface, to=(4, 1, 10, 13))
        img.put(PALETTE.surface, to=(10, 5, 13, 13))
        for y in (5, 8, 11):
            img.put(PALETTE.faint, to=(5, y, 11, y + 1))
    return img


class FileTree(ttk.Frame):
    """A Treeview of the node's files (or of one snapshot's). `on_open(path)` fires on double-click
    or Enter on a file; `empty_text` is the note shown over an empty tree."""

    def __init__(self, master: tk.Misc, fonts: Fonts, on_open: Callable[[str], None] | None = None,
                 empty_text: str = "No files yet. Use Upload to back up your first files.") -> None:
        super().__init__(master, style="Card.TFrame")
        self.rows: list[TreeRow] = []
        self._on_open = on_open
        self._empty_text = empty_text
        self._folder_icon, self._file_icon = _icon(self, True), _icon(self, False)
        self.tree = ttk.Treeview(self, columns=[c[0] for c in _COLUMNS], selectmode="extended")
        self.tree.heading("#0", text="NAME", anchor="w")
        self.tree.column("#0", width=360, minwidth=180, stretch=True)
        for name, title, width, anchor in _COLUMNS:
            self.tree.heading(name, text=title, anchor=anchor)
            self.tree.column(name, width=width, minwidth=60, stretch=False, anchor=anchor)
        self.tree.tag_configure("folder", font=fonts.bold)
        self.tree.tag_configure("conflict", foreground=PALETTE.warning)
        self.tree.tag_configure("note", foreground=PALETTE.muted)
        scroll = ttk.Scrollbar(self, orient="vertical", command=self.tree.yview)
        self.tree.configure(yscrollcommand=scroll.set)
        self.tree.grid(row=0, column=0, sticky="nsew")
        scroll.grid(row=0, column=1, sticky="ns")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self.empty = ttk.Label(self, text=empty_text, style="CardMuted.TLabel")
        self.tree.bind("<Double-1>", self._activate)
        self.tree.bind("<Return>", self._activate)

    def show(self, rows: list[TreeRow], fresh: bool = False) -> None:
        """Replace the rows, keeping open folders and the selection; `fresh` (other content, e.g.
        another snapshot) forgets both and opens the top-level folders, as on the first show."""
        opened = set() if fresh else {iid for iid in self._all_iids() if self.tree.item(iid, "open")}
        first = fresh or not self.rows
        selected = set() if fresh else set(self.tree.selection())
        self.tree.delete(*self.tree.get_children(""))
        for row in rows:
            self._insert(row, row.iid in opened or (first and row.is_dir and not row.parent))
        self.rows = rows
        keep = [iid for iid in selected if self.tree.exists(iid)]
        if keep:
            self.tree.selection_set(keep)
        if rows:
            self.empty.place_forget()
        else:
            self.placeholder(self._empty_text)

    def _insert(self, row: TreeRow, is_open: bool = False) -> None:
        """One row; a row without a path is a note ("Loading…"), drawn without an icon."""
        tags = ["folder"] if row.is_dir else [] if row.path or row.conflict else ["note"]
        if row.conflict:
            tags.append("conflict")
        image = (self._folder_icon if row.is_dir else self._file_icon) if row.path else ""
        self.tree.insert(row.parent, "end", iid=row.iid, text=f"  {row.name}", open=is_open, image=image,
                         values=(row.size, row.modified, row.hash), tags=tags)

    def replace_children(self, parent: str, rows: list[TreeRow]) -> bool:
        """Put `rows` (children of `parent`, parents before children) in place of what `parent`
        holds now, e.g. its "Loading…" note, leaving the rest of the tree as it is. False (and
        nothing done) when `parent` is not in the tree any more."""
        if parent and not self.tree.exists(parent):
            return False
        gone = set(self._all_iids(parent))
        self.tree.delete(*self.tree.get_children(parent))
        self.rows = [r for r in self.rows if r.iid not in gone] + rows
        for row in rows:
            self._insert(row)
        if self.rows:
            self.empty.place_forget()
        return True

    def placeholder(self, text: str) -> None:
        """A centred note over the (empty) tree: no files yet, or the node cannot be reached."""
        self.empty.configure(text=text)
        self.empty.place(relx=0.5, rely=0.45, anchor="center")

    def release_images(self) -> None:
        """Free the icons now, on the Tk thread; left to the garbage collector they could be freed
        from a worker thread, which Tk refuses (with a traceback on stderr)."""
        for img in (self._folder_icon, self._file_icon):
            if img.name:
                with contextlib.suppress(tk.TclError):
                    self.tk.call("image", "delete", img.name)
                img.name = None  # type: ignore[assignment]

    def _all_iids(self, parent: str = "") -> list[str]:
        out: list[str] = []
        for iid in self.tree.get_children(parent):
            out.append(iid)
            out.extend(self._all_iids(iid))
        return out

    def select_paths(self, paths: list[str]) -> None:
        """Select these files (and open their folders); used by tests and after an upload."""
        iids = [f"f:{p}" for p in paths if self.tree.exists(f"f:{p}")]
        for iid in iids:
            self.tree.see(iid)
        self.tree.selection_set(iids)

    def selected_files(self) -> list[str]:
        """Paths of the selected files; a selected folder stands for every file under it."""
        return files_under(self.rows, self.tree.selection())

    def single_file(self) -> str | None:
        """The one selected file, or None when the selection is empty, a folder or several files."""
        sel = self.tree.selection()
        return sel[0][2:] if len(sel) == 1 and sel[0].startswith("f:") else None

    def selected_row(self) -> TreeRow | None:
        """The one selected row (file or folder), or None when none or several are selected."""
        sel = self.tree.selection()
        if len(sel) != 1:
            return None
        return next((r for r in self.rows if r.iid == sel[0]), None)

    def _activate(self, _event: object = None) -> None:
        path = self.single_file()
        if path and self._on_open:
            self._on_open(path)
