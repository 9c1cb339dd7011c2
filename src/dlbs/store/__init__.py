"""On-disk state: the chunk store, the catalog (SQLite) and the repository that joins them."""
