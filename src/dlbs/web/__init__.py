"""The web page: static assets shipped in the package (no CDN, no build step)."""
