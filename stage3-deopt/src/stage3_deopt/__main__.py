"""``python -m stage3_deopt``: run a Lox file, or the interactive prompt."""

from .cli import main

main()
