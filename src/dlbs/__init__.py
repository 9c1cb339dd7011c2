"""dlbs: a decentralized, locally distributed backup system.

Every device runs a node; files are chunked, deduplicated, compressed, encrypted and kept in a
versioned catalog that any node can serve. See DESIGN.md for the layers.
"""

__version__ = "3.0.0"
