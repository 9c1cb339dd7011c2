"""Pure logic with no I/O: chunking, codec, clocks, merge rules, path rules, data model."""
