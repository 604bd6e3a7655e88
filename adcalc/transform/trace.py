"""Transitional: ``Warning`` now lives in ``adcalc.transform.notes`` (this module goes away)."""

from adcalc.transform.notes import Warning  # noqa: F401
