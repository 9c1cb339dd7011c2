"""The main window's layout: header, statistics strip, toolbar, the Files and Snapshots tabs, nodes,
log, status bar.

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
from dlbs.gui.snapshotpanel import SnapshotPanel
from dlbs.gui.snapshots_model import restore_button_text
from dlbs.gui.statsbar import StatsBar
from dlbs.gui.theme import LEVEL_COLOURS, PALETTE, Fonts

Action = Callable[[], None]


class MainWindow:
    """Builds the widgets into `root`. `actions` maps button names to the App's action methods:
    upload, save_as, history, delete, refresh, sync, settings, open_file (takes a path), backup,
    restore, select_snapshot (takes a snapshot id). The toolbar shows the buttons of the open tab."""

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

        # toolbar: the open tab's buttons on the left, the shared progress bar on the right
        bar = ttk.Frame(body, padding=(0, 16, 0, 10))
        bar.grid(row=1, column=0, sticky="ew")
        bar.columnconfigure(1, weight=1)
        self.files_bar = ttk.Frame(bar)
        self.files_bar.grid(row=0, column=0, sticky="w")
        self.upload_button = ttk.Button(self.files_bar, text="＋  Upload…", style="Accent.TButton",
                                        command=actions["upload"])
        self.upload_button.grid(row=0, column=0)
        self.save_button = ttk.Button(self.files_bar, text="Save as…", command=actions["save_as"])
        self.save_button.grid(row=0, column=1, padx=(8, 0))
        self.history_button = ttk.Button(self.files_bar, text="History", command=actions["history"])
        self.history_button.grid(row=0, column=2, padx=(8, 0))
        self.delete_button = ttk.Button(self.files_bar, text="Delete", style="Danger.TButton",
                                        command=actions["delete"])
        self.delete_button.grid(row=0, column=3, padx=(8, 0))
        ttk.Button(self.files_bar, text="Refresh", command=actions["refresh"]).grid(row=0, column=4, padx=(8, 0))
        self.snapshots_bar = ttk.Frame(bar)
        self.backup_button = ttk.Button(self.snapshots_bar, text="＋  Back up a folder…", style="Accent.TButton",
                                        command=actions["backup"])
        self.backup_button.grid(row=0, column=0)
        self.restore_button = ttk.Button(self.snapshots_bar, text="Restore…", width=24, command=actions["restore"])
        self.restore_button.grid(row=0, column=1, padx=(8, 0))
        self.restore_button.state(["disabled"])  # until a snapshot is selected
        ttk.Button(self.snapshots_bar, text="Refresh", command=actions["refresh"]).grid(row=0, column=2, padx=(8, 0))
        self.progress_label = ttk.Label(bar, text="", style="Muted.TLabel")
        self.progress_label.grid(row=0, column=2, padx=(0, 10), sticky="e")
        self.progress = ttk.Progressbar(bar, orient="horizontal", length=220, mode="determinate", maximum=100)
        self.progress.grid(row=0, column=3, sticky="e")
        self.progress.grid_remove()

        # files | nodes, above the activity log
        vpane = ttk.PanedWindow(body, orient="vertical")
        vpane.grid(row=2, column=0, sticky="nsew")
        hpane = ttk.PanedWindow(vpane, orient="horizontal")
        files_col = ttk.Frame(hpane)
        self.tabs = ttk.Notebook(files_col)
        self.tabs.pack(fill="both", expand=True)
        self.files_tab = ttk.Frame(self.tabs, padding=(0, 8, 0, 0))
        self.tree = FileTree(self.files_tab, fonts, on_open=actions["open_file"])
        self.tree.pack(fill="both", expand=True)
        self.snapshots_tab = ttk.Frame(self.tabs, padding=(0, 8, 0, 0))
        self.snapshots = SnapshotPanel(self.snapshots_tab, fonts, on_select=actions["select_snapshot"],
                                       on_change=self._snapshot_selection_changed,
                                       on_open_folder=actions.get("open_snapshot_folder"))
        self.snapshots.pack(fill="both", expand=True)
        self.tabs.add(self.files_tab, text="Files")
        self.tabs.add(self.snapshots_tab, text="Snapshots")
        self.tabs.bind("<<NotebookTabChanged>>", self._tab_changed)
        nodes_col = ttk.Frame(hpane)
        self._section(nodes_col, "NODES", top=10, bottom=15)  # its card level with the tabs' content
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
    def _section(parent: ttk.Frame, title: str, top: int = 0, bottom: int = 6) -> None:
        ttk.Label(parent, text=title, style="Section.TLabel").pack(anchor="w", pady=(top, bottom))

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

    def show_tab(self, name: str) -> None:
        """Open the "files" or the "snapshots" tab (the toolbar follows)."""
        self.tabs.select(self.snapshots_tab if name == "snapshots" else self.files_tab)
        self._tab_changed()

    def current_tab(self) -> str:
        return "snapshots" if self.tabs.select() == str(self.snapshots_tab) else "files"

    def _tab_changed(self, _event: object = None) -> None:
        snapshots = self.current_tab() == "snapshots"
        (self.files_bar if snapshots else self.snapshots_bar).grid_remove()
        (self.snapshots_bar if snapshots else self.files_bar).grid(row=0, column=0, sticky="w")

    def _snapshot_selection_changed(self) -> None:
        panel = self.snapshots
        sid = panel.selected_snapshot()
        entry = panel.selected_entry() if sid is not None and sid == panel.contents_of else None
        self.restore_button.configure(text=restore_button_text(sid is not None, entry.path if entry else None))
        self.restore_button.state(["!disabled"] if sid is not None else ["disabled"])

    def set_snapshot_count(self, count: int) -> None:
        self.tabs.tab(self.snapshots_tab, text=f"Snapshots  {count}" if count else "Snapshots")

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
