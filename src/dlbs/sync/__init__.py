"""Jobs between nodes: pull-based replication and its schedule."""
