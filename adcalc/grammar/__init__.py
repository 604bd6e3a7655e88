"""The adcalc grammar (``adcalc.lark``), installed as the package data ``adcalc.grammar``."""
