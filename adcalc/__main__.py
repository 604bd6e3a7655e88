"""``python -m adcalc`` is the ``adcalc`` command."""

import sys

from .cli import main

sys.exit(main())
