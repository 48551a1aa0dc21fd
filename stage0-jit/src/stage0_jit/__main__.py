"""``python -m stage0_jit``: run a Lox file, or the interactive prompt."""

from . import STARTED
from .cli import main

main(STARTED)
