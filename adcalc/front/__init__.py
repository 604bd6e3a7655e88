"""Front ends: ``commands`` (the one registry of commands: name, summary, options, examples,
runner), ``cli`` (the command line, built from the registry), ``repl`` (the interactive calculator,
split by concern), ``fast`` (the one-shot fast path and the ``adcalc`` entry point).

Layer: the top; imports anything below.  ``adcalc.api`` is the Python front end (the public
surface).
"""
