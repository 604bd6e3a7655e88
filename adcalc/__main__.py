"""``python -m adcalc`` is the ``adcalc`` command."""

import sys

from .quickcli import main

sys.exit(main())
