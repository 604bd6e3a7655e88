"""``python -m adcalc`` is the ``adcalc`` command."""

import sys

from adcalc.front.fast.quickcli import main

sys.exit(main())
