"""vogue-pack: validate and package the VOGUE conversational-recommendation dataset."""

__version__ = "0.1.0"
