"""Stage 3: cross-file SQL checks, release expectations, configuration, and the one validation pipeline."""
