"""``python -m stage1_interp``: run a Lox file, or the interactive prompt."""

from .cli import main

main()
