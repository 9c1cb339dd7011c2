"""The activity log: the node's events and the app's own actions, colour-coded by level.

Owned by the Tk thread. Read-only for the user; keeps the last `MAX_LINES` lines. Columns (time,
level mark, source, message) sit on tab stops, and a wrapped message is indented under itself.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from dlbs.gui.theme import LEVEL_COLOURS, PALETTE, Fonts
from dlbs.gui.viewmodel import LogLine

MAX_LINES = 1000
MARKS = {"info": "●", "success": "✔", "warning": "▲", "error": "✖"}


class ActivityLog(ttk.Frame):
    def __init__(self, master: tk.Misc, fonts: Fonts) -> None:
        super().__init__(master, style="Card.TFrame")
        self.lines: list[LogLine] = []
        m = fonts.mono
        t_mark = m.measure("00:00:00") + 14
        t_source = t_mark + m.measure("✖") + 10
        t_text = t_source + m.measure("restore ") + 12
        self.text = tk.Text(self, height=8, wrap="word", font=m, background=PALETTE.surface,
                            foreground=PALETTE.text, borderwidth=0, highlightthickness=0, padx=12, pady=8,
                            insertbackground=PALETTE.text, selectbackground=PALETTE.select, spacing1=2,
                            spacing3=2, cursor="arrow", tabs=(t_mark, t_source, t_text))
        scroll = ttk.Scrollbar(self, orient="vertical", command=self.text.yview)
        self.text.configure(yscrollcommand=scroll.set, state="disabled")
        self.text.grid(row=0, column=0, sticky="nsew")
        scroll.grid(row=0, column=1, sticky="ns")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self.text.tag_configure("line", lmargin2=t_text)
        self.text.tag_configure("time", foreground=PALETTE.faint)
        self.text.tag_configure("source", foreground=PALETTE.muted)
        self.text.tag_configure("msg-info", foreground=PALETTE.text)
        for level, colour in LEVEL_COLOURS.items():
            self.text.tag_configure(f"mark-{level}", foreground=colour)
            if level != "info":
                self.text.tag_configure(f"msg-{level}", foreground=colour)

    def append(self, line: LogLine) -> None:
        self.lines.append(line)
        del self.lines[:-MAX_LINES]
        at_end = self.text.yview()[1] >= 0.999
        self.text.configure(state="normal")
        self.text.insert("end", line.time, ("line", "time"), "\t" + MARKS[line.level], ("line", f"mark-{line.level}"),
                         f"\t{line.source}", ("line", "source"), f"\t{line.text}\n", ("line", f"msg-{line.level}"))
        excess = int(self.text.index("end-1c").split(".")[0]) - 1 - MAX_LINES
        if excess > 0:
            self.text.delete("1.0", f"{excess + 1}.0")
        self.text.configure(state="disabled")
        if at_end:
            self.text.see("end")
