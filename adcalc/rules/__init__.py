"""the primitive registry."""
