"""Entry point for ``python -m lox_bench``."""

from lox_bench.cli import main

raise SystemExit(main())
