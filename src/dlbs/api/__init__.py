"""HTTP: the v2.0-compatible routes, /api/v1, and the two apps (peer port, web port)."""
