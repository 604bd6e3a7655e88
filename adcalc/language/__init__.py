"""Text → IR."""
