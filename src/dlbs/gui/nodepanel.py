"""The node status panel: one line per node with a coloured dot (online, down, or no peers).

Owned by the Tk thread; `show(rows)` redraws only when the rows changed.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from dlbs.gui.theme import PALETTE, STATE_COLOURS, Fonts
from dlbs.gui.viewmodel import NodeRow


class NodePanel(ttk.Frame):
    def __init__(self, master: tk.Misc, fonts: Fonts) -> None:
        super().__init__(master, style="Card.TFrame", padding=(14, 8))
        self.fonts = fonts
        self.rows: list[NodeRow] = []
        self.columnconfigure(1, weight=1)
        self._wrap = 260
        self.bind("<Configure>", self._rewrap, add="+")

    def show(self, rows: list[NodeRow]) -> None:
        if rows == self.rows:
            return
        self.rows = rows
        for child in self.winfo_children():
            child.destroy()
        for i, row in enumerate(rows):
            dot = tk.Canvas(self, width=12, height=12, background=PALETTE.surface, highlightthickness=0)
            colour = STATE_COLOURS[row.state]
            dot.create_oval(1, 1, 11, 11, fill=colour, outline=colour)
            dot.grid(row=2 * i, column=0, rowspan=2, sticky="n", padx=(0, 10), pady=(12, 0))
            head = ttk.Frame(self, style="Card.TFrame")
            head.grid(row=2 * i, column=1, sticky="ew", pady=(8, 0))
            ttk.Label(head, text=row.name, style="Card.TLabel", font=self.fonts.bold).pack(side="left")
            state = {"online": "online", "offline": "down", "none": ""}[row.state]
            if state:
                ttk.Label(head, text=state, style="Card.TLabel", foreground=STATE_COLOURS[row.state],
                          font=self.fonts.small).pack(side="right")
            sub = "\n".join(x for x in (row.address, row.detail) if x)
            ttk.Label(self, text=sub, style="CardMuted.TLabel", wraplength=self._wrap, justify="left").grid(
                row=2 * i + 1, column=1, sticky="ew", pady=(1, 6))

    def _rewrap(self, event: tk.Event) -> None:  # type: ignore[type-arg]
        """Wrap the detail lines to the panel's width, so nothing is cut off when it is narrow."""
        wrap = max(120, event.width - 60)
        if abs(wrap - self._wrap) < 8:
            return
        self._wrap = wrap
        for child in self.grid_slaves(column=1):
            if isinstance(child, ttk.Label):
                child.configure(wraplength=wrap)

    def states(self) -> dict[str, str]:
        """name -> online/offline/none, for tests and the status bar."""
        return {r.name: r.state for r in self.rows}
