"""The command line's flags as one table, and the few lines that parse and describe them.

Every stage's flags are rows of a :class:`FlagTable` (name, value kind,
choices, help). It replaces ``argparse``, which cost about 40 ms of a
40-120 ms start-up (its import, ``gettext`` lookups and a help formatter
built for every flag, before a line of Lox runs). Accepted forms:
``--name=value``, ``--name value``, ``--switch``, ``-h``/``--help``, one
positional FILE, and ``--`` to end the flags.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
    from collections.abc import Callable, Sequence


class UsageError(Exception):
    """Wrong command-line usage (exit 64)."""


class Flag:
    """One row of the table: ``--name``, what value it takes, and its help line."""

    __slots__ = ("name", "help", "metavar", "choices", "convert", "repeat", "switch")

    def __init__(self, name: str, help: str, *, metavar: str = "", choices: Sequence[str] = (),
                 convert: Callable[[str], Any] = str, repeat: bool = False, switch: bool = False) -> None:
        self.name = name
        self.help = help
        self.metavar = metavar or (("{" + ",".join(choices) + "}") if choices else "VALUE")
        self.choices = tuple(choices)
        self.convert = convert
        self.repeat = repeat          # may be given several times: the values form a list
        self.switch = switch          # takes no value: present means True

    @property
    def dest(self) -> str:
        """The attribute name in the parsed result (``--trace-file`` -> ``trace_file``)."""
        return self.name.lstrip("-").replace("-", "_")

    @property
    def shown(self) -> str:
        """How usage and help show the flag."""
        return self.name if self.switch else f"{self.name} {self.metavar}"

    def value(self, text: str) -> Any:
        """Convert and check one value given on the command line."""
        if self.choices and text not in self.choices:
            raise UsageError(f"argument {self.name}: invalid choice: {text!r} (choose from {', '.join(self.choices)})")
        try:
            return self.convert(text)
        except ValueError:
            raise UsageError(f"argument {self.name}: invalid value: {text!r}") from None


class Arguments:
    """The parsed command line: one attribute per flag (None, False or [] when absent) plus ``file``."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:   # for mypy: attributes are made from the table
        raise AttributeError(name)


class FlagTable:
    """A program's flags; parses ``argv`` and writes usage and help text."""

    def __init__(self, prog: str, description: str, epilog: str,
                 positional: tuple[str, str] = ("file", "")) -> None:
        self.prog = prog
        self.description = description
        self.epilog = epilog
        self.positional, self.positional_help = positional
        self.flags: dict[str, Flag] = {}

    def add(self, flag: Flag) -> None:
        """Add a row (a later stage may add its own flags, never redefine one)."""
        assert flag.name not in self.flags, flag.name
        self.flags[flag.name] = flag

    def parse(self, argv: Sequence[str]) -> Arguments:
        """Parse ``argv`` (``--help`` is reported as ``help=True``); raises :class:`UsageError`."""
        values: dict[str, Any] = {f.dest: ([] if f.repeat else False if f.switch else None)
                                  for f in self.flags.values()}
        values["help"] = False
        positionals: list[str] = []
        items = list(argv)
        i = 0
        while i < len(items):
            item = items[i]
            i += 1
            if item == "--":
                positionals.extend(items[i:])
                break
            if item in ("-h", "--help"):
                values["help"] = True
                continue
            if not item.startswith("-") or item == "-":
                positionals.append(item)
                continue
            name, has_value, text = item.partition("=")
            flag = self.flags.get(name)
            if flag is None:
                raise UsageError(f"unrecognized arguments: {item}")
            if flag.switch:
                if has_value:
                    raise UsageError(f"argument {name}: ignored explicit argument {text!r}")
                values[flag.dest] = True
                continue
            if not has_value:
                if i >= len(items):
                    raise UsageError(f"argument {name}: expected one argument")
                text = items[i]
                i += 1
            value = flag.value(text)
            if flag.repeat:
                values[flag.dest].append(value)
            else:
                values[flag.dest] = value
        if len(positionals) > 1:
            raise UsageError(f"unrecognized arguments: {' '.join(positionals[1:])}")
        values[self.positional] = positionals[0] if positionals else None
        return Arguments(values)

    def usage(self) -> str:
        """The usage paragraph, wrapped at 80 columns between (never inside) its bracketed parts."""
        parts = ["[-h]", *(f"[{f.shown}]" for f in self.flags.values()), f"[{self.positional}]"]
        lead = f"usage: {self.prog} "
        lines = [lead]
        for part in parts:
            if len(lines[-1]) + len(part) > 80 and lines[-1].strip():
                lines.append(" " * len(lead))
            lines[-1] += part + " "
        return "\n".join(line.rstrip() for line in lines) + "\n"

    def help(self) -> str:
        """The ``--help`` text: usage, description, the positional, every flag, the epilog."""
        import textwrap

        def row(left: str, text: str) -> str:
            lines = textwrap.wrap(text, width=54) or [""]
            if len(left) > 22:
                return f"  {left}\n" + "".join(f"{' ' * 24}{line}\n" for line in lines)
            first, rest = lines[0], lines[1:]
            return f"  {left:<22}{first}\n" + "".join(f"{' ' * 24}{line}\n" for line in rest)

        out = [self.usage(), "\n", textwrap.fill(self.description, width=80), "\n\n",
               "positional arguments:\n", row(self.positional, self.positional_help), "\n",
               "options:\n", row("-h, --help", "show this help message and exit")]
        out.extend(row(f.shown, f.help) for f in self.flags.values())
        out += ["\n", textwrap.fill(self.epilog, width=80), "\n"]
        return "".join(out)
