"""Stage 4: build an immutable release (Parquet, DuckDB, manifest, checksums, card, Croissant); verify, query, diff."""
