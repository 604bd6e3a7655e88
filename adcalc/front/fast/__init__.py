"""the one-shot fast path."""
