"""`python -m nn …` does what the `gradwalk` command does."""

import sys

from nn.cli import main

sys.exit(main())
