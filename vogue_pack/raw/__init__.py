"""Stage 1: find the raw root, read each file once and safely, parse it against its schema, load the tidy tables."""
