"""``python -m bot``: see bot/cli.py."""

import os
import sys

from bot.cli import main

try:
    sys.exit(main())
except BrokenPipeError:
    # The reader went away (`python -m bot db status | head -1`): not an error to show.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(1)
