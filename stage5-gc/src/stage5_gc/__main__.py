"""``python -m stage5_gc``: run a Lox file, or the interactive prompt."""

from . import STARTED
from .cli import main

main(STARTED)
