"""``python -m wg``."""

from wg.cli import main

main()
