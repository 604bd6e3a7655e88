"""front ends."""
