"""the interpreter and its modes."""
