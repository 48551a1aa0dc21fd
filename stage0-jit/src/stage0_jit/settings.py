"""Every tunable of the VM in one place: a named setting, its default, and why that default.

Later stages add their own settings by subclassing :class:`Settings`; the
command line sets any of them with ``--set NAME=VALUE`` (and the common ones
have their own flags).

A setting is a class attribute (its default) with an entry in the class's
``WHY`` table (its reason): a plain class, because this module is imported by
every start-up and a dataclass is built by generating code at import time.
A subclass may give an inherited setting a new default and a new reason; it
keeps its place in ``--help-settings``.
"""

from __future__ import annotations


class Settings:
    """The tunables of stage 0 (later stages subclass and add theirs)."""

    max_call_depth: int = 100_000
    heap_reserve_mb: int = 8192
    opt_level: int = 2
    max_optimised_size: int = 1500
    observe_arguments: bool = True

    #: Every setting's reason, in the order ``--help-settings`` lists them.
    WHY: dict[str, str] = {
        "max_call_depth":
            "the language reference (docs/LANGUAGE.md) asks for at least 10,000 nested "
            "calls; deeper recursion ends in 'Stack overflow.' well before the native "
            "stack (1 GiB, see vm.py) runs out",
        "heap_reserve_mb":
            "address space reserved for the heap; pages cost nothing until used, and "
            "nothing is freed before stage 5, so allocation-heavy programs need room",
        "opt_level":
            "LLVM's O2 pipeline: the usual trade of compile time for code quality",
        "max_optimised_size":
            "LLVM's optimiser and instruction selector slow down more than linearly on huge "
            "functions (a long top-level script); a function with more AST nodes (or, in "
            "later stages, bytecode instructions) than this is compiled without optimisation, "
            "in a module of its own: fast to compile, and such code usually runs once",
        "observe_arguments":
            "record whether each number argument is an integer (the type observations "
            "later stages specialise on); costs a few instructions per call",
    }

    def __init__(self, **overrides: object) -> None:
        unknown = set(overrides) - set(self.names())
        if unknown:
            raise TypeError(f"unknown setting {', '.join(sorted(unknown))}")
        # Every setting becomes an instance attribute, overridden or not: the interpreter reads some on every
        # call, and an instance's own attribute is found faster than one looked up through five classes.
        for name in self.names():
            setattr(self, name, overrides.get(name, getattr(self, name)))

    @classmethod
    def reasons(cls) -> dict[str, str]:
        """Every setting of this class and its bases with its reason (a base's settings first)."""
        table: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            table.update(vars(klass).get("WHY", {}))
        return table

    @classmethod
    def names(cls) -> list[str]:
        """Every setting's name."""
        return list(cls.reasons())

    def validate(self) -> None:
        """Reject values that make no sense (raises ValueError, reported as a usage error)."""
        for name in ("max_call_depth", "heap_reserve_mb", "max_optimised_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not 0 <= self.opt_level <= 3:
            raise ValueError("opt_level must be 0, 1, 2 or 3")

    def describe(self) -> list[tuple[str, object, str]]:
        """(name, current value, reason) for every setting, for ``--help-settings``."""
        return [(name, getattr(self, name), why) for name, why in self.reasons().items()]

    def set_from_text(self, assignment: str) -> None:
        """Apply ``NAME=VALUE`` (the value parsed to the setting's type)."""
        name, sep, text = assignment.partition("=")
        known = self.names()
        if not sep or name not in known:
            raise ValueError(f"unknown setting {name!r}; known: {', '.join(sorted(known))}")
        current = getattr(self, name)
        if isinstance(current, bool):
            words = {"1": True, "true": True, "yes": True, "on": True,
                     "0": False, "false": False, "no": False, "off": False}
            if text.lower() not in words:
                raise ValueError(f"{name} takes on/off (or true/false, yes/no, 1/0), not {text!r}")
            value: object = words[text.lower()]
        elif isinstance(current, int):
            value = int(text)
        elif isinstance(current, float):
            value = float(text)
        else:
            value = text
        setattr(self, name, value)
