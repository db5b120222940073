"""`python -m bench`: every benchmark and one table of their figures (bench/run.py)."""

import sys

from bench.run import main

sys.exit(main())
