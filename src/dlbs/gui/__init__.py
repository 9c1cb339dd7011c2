"""The Tkinter desktop app: a client of a node's HTTP API, never of its files."""
