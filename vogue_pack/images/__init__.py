"""Stage 2: decode, inspect and hash images (content-bound cache, parallel); exact and near-duplicate clusters."""
