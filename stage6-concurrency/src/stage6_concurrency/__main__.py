"""``python -m stage6_concurrency``: run a Lox file, or the interactive prompt."""

from . import STARTED
from .cli import main

main(STARTED)
