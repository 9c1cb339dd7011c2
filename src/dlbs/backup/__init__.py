"""Folder backups: scan, archive into snapshots, restore, retention (forget + prune), check."""
