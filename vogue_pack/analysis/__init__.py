"""Statistics, the paper's evaluation metrics and predictions, computed from the tidy tables."""
