"""Talking to other nodes: TLS identity, the wire format, and the peer client."""
