"""The statistics strip: a row of cards (files, stored size, dedup ratio, nodes online)."""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from dlbs.gui.viewmodel import StatCard


class StatsBar(ttk.Frame):
    """Owned by the Tk thread; `show(cards)` updates the values in place."""

    def __init__(self, master: tk.Misc, count: int = 4) -> None:
        super().__init__(master, style="TFrame")
        self._labels: list[tuple[ttk.Label, ttk.Label, ttk.Label]] = []
        for i in range(count):
            card = ttk.Frame(self, style="Card.TFrame", padding=(16, 10, 16, 12))
            card.grid(row=0, column=i, sticky="nsew", padx=(0 if i == 0 else 6, 0 if i == count - 1 else 6))
            self.columnconfigure(i, weight=1, uniform="stat")
            caption = ttk.Label(card, style="Caps.TLabel")
            value = ttk.Label(card, text="—", style="Stat.TLabel")
            hint = ttk.Label(card, style="CardMuted.TLabel")
            caption.pack(anchor="w")
            value.pack(anchor="w", pady=(2, 0))
            hint.pack(anchor="w")
            self._labels.append((caption, value, hint))
        self.cards: list[StatCard] = []

    def show(self, cards: list[StatCard]) -> None:
        self.cards = cards
        for (caption, value, hint), card in zip(self._labels, cards, strict=False):
            caption.configure(text=card.label.upper())
            value.configure(text=card.value)
            hint.configure(text=card.hint or " ")
