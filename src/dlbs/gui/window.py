"""The main window's layout: header, statistics strip, toolbar, file tree, nodes, log, status bar.

Only widgets and their placement; what the buttons do is handed in by the App (`actions`), so the
look can change without touching the behaviour. Owned by the Tk thread.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Mapping
from tkinter import ttk

from dlbs.gui.activitylog import ActivityLog
from dlbs.gui.filetree import FileTree
from dlbs.gui.nodepanel import NodePanel
from dlbs.gui.statsbar import StatsBar
from dlbs.gui.theme import LEVEL_COLOURS, PALETTE, Fonts

Action = Callable[[], None]


class MainWindow:
    """Builds the widgets into `root`. `actions` maps button names to the App's action methods:
    upload, save_as, history, delete, refresh, sync, settings, open_file (takes a path)."""

    def __init__(self, root: tk.Tk, fonts: Fonts, node_url: str, actions: Mapping[str, Callable[..., None]]) -> None:
        self.root = root
        root.title(f"dlbs · {node_url}")
        root.geometry("1240x800")
        root.minsize(980, 640)
        outer = ttk.Frame(root, padding=0)
        outer.pack(fill="both", expand=True)
        outer.columnconfigure(0, weight=1)

        # header
        header = ttk.Frame(outer, style="Header.TFrame", padding=(20, 12))
        header.grid(row=0, column=0, sticky="ew")
        header.columnconfigure(2, weight=1)
        ttk.Label(header, text="dlbs", style="Logo.TLabel").grid(row=0, column=0, rowspan=2, sticky="w")
        ttk.Label(header, text="Backup network", style="Title.TLabel", font=fonts.bold).grid(
            row=0, column=1, sticky="w", padx=(14, 0))
        self.node_label = ttk.Label(header, text=node_url, style="CardMuted.TLabel")
        self.node_label.grid(row=1, column=1, sticky="w", padx=(14, 0))
        self.pill = ttk.Label(header, text="●  connecting…", style="Pending.Pill.TLabel")
        self.pill.grid(row=0, column=3, rowspan=2, padx=(0, 14))
        self.settings_button = ttk.Button(header, text="Settings", command=actions["settings"])
        self.settings_button.grid(row=0, column=4, rowspan=2, padx=(0, 8))
        self.sync_button = ttk.Button(header, text="⟳  Sync now", style="Accent.TButton", command=actions["sync"])
        self.sync_button.grid(row=0, column=5, rowspan=2)

        body = ttk.Frame(outer, padding=(20, 16, 20, 0))
        body.grid(row=1, column=0, sticky="nsew")
        outer.rowconfigure(1, weight=1)
        body.columnconfigure(0, weight=1)
        body.rowconfigure(2, weight=1)

        self.stats = StatsBar(body)
        self.stats.grid(row=0, column=0, sticky="ew")

        # toolbar
        bar = ttk.Frame(body, padding=(0, 16, 0, 10))
        bar.grid(row=1, column=0, sticky="ew")
        bar.columnconfigure(5, weight=1)
        self.upload_button = ttk.Button(bar, text="＋  Upload…", style="Accent.TButton", command=actions["upload"])
        self.upload_button.grid(row=0, column=0)
        self.save_button = ttk.Button(bar, text="Save as…", command=actions["save_as"])
        self.save_button.grid(row=0, column=1, padx=(8, 0))
        self.history_button = ttk.Button(bar, text="History", command=actions["history"])
        self.history_button.grid(row=0, column=2, padx=(8, 0))
        self.delete_button = ttk.Button(bar, text="Delete", style="Danger.TButton", command=actions["delete"])
        self.delete_button.grid(row=0, column=3, padx=(8, 0))
        ttk.Button(bar, text="Refresh", command=actions["refresh"]).grid(row=0, column=4, padx=(8, 0))
        self.progress_label = ttk.Label(bar, text="", style="Muted.TLabel")
        self.progress_label.grid(row=0, column=6, padx=(0, 10), sticky="e")
        self.progress = ttk.Progressbar(bar, orient="horizontal", length=220, mode="determinate", maximum=100)
        self.progress.grid(row=0, column=7, sticky="e")
        self.progress.grid_remove()

        # files | nodes, above the activity log
        vpane = ttk.PanedWindow(body, orient="vertical")
        vpane.grid(row=2, column=0, sticky="nsew")
        hpane = ttk.PanedWindow(vpane, orient="horizontal")
        files_col = ttk.Frame(hpane)
        self._section(files_col, "FILES")
        self.tree = FileTree(files_col, fonts, on_open=actions["open_file"])
        self.tree.pack(fill="both", expand=True)
        nodes_col = ttk.Frame(hpane)
        self._section(nodes_col, "NODES")
        self.nodes = NodePanel(nodes_col, fonts)
        self.nodes.pack(fill="both", expand=True)
        hpane.add(files_col, weight=3)
        hpane.add(nodes_col, weight=1)
        log_col = ttk.Frame(vpane)
        self._section(log_col, "ACTIVITY", top=10)
        self.log = ActivityLog(log_col, fonts)
        self.log.pack(fill="both", expand=True)
        vpane.add(hpane, weight=3)
        vpane.add(log_col, weight=1)
        self.hpane, self.vpane = hpane, vpane
        root.after_idle(self._place_sashes)

        # status bar
        status = ttk.Frame(outer, style="Status.TFrame", padding=(20, 6))
        status.grid(row=2, column=0, sticky="ew", pady=(16, 0))
        status.columnconfigure(0, weight=1)
        self.status = ttk.Label(status, text="Starting…", style="Status.TLabel")
        self.status.grid(row=0, column=0, sticky="w")
        self.clock = ttk.Label(status, text="", style="Status.TLabel")
        self.clock.grid(row=0, column=1, sticky="e")

    @staticmethod
    def _section(parent: ttk.Frame, title: str, top: int = 0) -> None:
        ttk.Label(parent, text=title, style="Section.TLabel").pack(anchor="w", pady=(top, 6))

    def _place_sashes(self) -> None:
        """Once the panes have a size: the nodes column ~320 px wide, the log ~210 px tall."""
        done = {"h": False, "v": False}

        def place_h(_e: object = None) -> None:
            width = self.hpane.winfo_width()
            if not done["h"] and width > 600:
                self.hpane.sashpos(0, width - 320)
                done["h"] = True

        def place_v(_e: object = None) -> None:
            height = self.vpane.winfo_height()
            if not done["v"] and height > 400:
                self.vpane.sashpos(0, height - 210)
                done["v"] = True

        self.hpane.bind("<Configure>", place_h, add="+")
        self.vpane.bind("<Configure>", place_v, add="+")
        place_h()
        place_v()

    def set_connection(self, state: str, text: str) -> None:
        style = {"online": "Online", "offline": "Offline"}.get(state, "Pending")
        self.pill.configure(text=f"●  {text}", style=f"{style}.Pill.TLabel")

    def set_status(self, text: str, level: str = "info") -> None:
        colour = PALETTE.muted if level == "info" else LEVEL_COLOURS.get(level, PALETTE.muted)
        self.status.configure(text=text, foreground=colour)

    def show_progress(self, fraction: float | None, text: str = "") -> None:
        """A fraction in 0..1 shows the bar; None hides it."""
        if fraction is None:
            self.progress.grid_remove()
            self.progress_label.configure(text=text)
            return
        self.progress.grid()
        self.progress.configure(value=max(0.0, min(1.0, fraction)) * 100)
        self.progress_label.configure(text=text)
