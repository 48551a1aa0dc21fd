"""Find the repository's `tests/` corpus and turn it into (mode, program) cases for pytest."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lox_testing.generated import generated_programs

#: Environment variable naming the corpus directory explicitly (the one holding `core/`).
TESTS_DIR_ENV = "LOX_TESTS_DIR"


@dataclass(frozen=True)
class Case:
    """One corpus program run in one mode; its `str` is the pytest id, e.g. `default:core/closures/counter.lox`."""

    mode: str
    flags: tuple[str, ...]
    relpath: str
    path: Path | None = None
    source: str | None = None

    def __str__(self) -> str:
        return f"{self.mode}:{self.relpath}"

    @property
    def group(self) -> str:
        """The corpus group (`core`, `classes`, ...) the program belongs to."""
        return self.relpath.split("/", 1)[0]


def _is_corpus(directory: Path) -> bool:
    return (directory / "core").is_dir()


def _walk_up(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if directory.name == "tests" and _is_corpus(directory):
            return directory
        candidate = directory / "tests"
        if _is_corpus(candidate):
            return candidate
    return None


def find_tests_dir(start: Path | None = None) -> Path:
    """Locate the corpus: `$LOX_TESTS_DIR`, else the nearest `tests/` with a `core/` above `start` (cwd)."""
    explicit = os.environ.get(TESTS_DIR_ENV)
    if explicit:
        path = Path(explicit).resolve()
        if not path.is_dir():
            raise FileNotFoundError(f"{TESTS_DIR_ENV}={explicit} is not a directory")
        return path
    for origin in (start or Path.cwd(), Path(__file__).resolve().parent):
        found = _walk_up(origin.resolve())
        if found is not None:
            return found
    raise FileNotFoundError(
        f"no tests/ directory with a core/ group above {start or Path.cwd()}; set {TESTS_DIR_ENV}"
    )


def corpus_files(tests_dir: Path, groups: Iterable[str]) -> list[tuple[str, Path]]:
    """Every `.lox` file of the given groups as `(relative posix path, absolute path)`, sorted."""
    files: list[tuple[str, Path]] = []
    for group in groups:
        root = tests_dir / group
        if not root.is_dir():
            raise FileNotFoundError(f"corpus group {group!r} not found: {root}")
        for path in root.rglob("*.lox"):
            files.append((path.relative_to(tests_dir).as_posix(), path.resolve()))
    return sorted(files)


def corpus_cases(
    groups: Sequence[str] = ("core",),
    modes: Mapping[str, Sequence[str]] | None = None,
    *,
    tests_dir: Path | None = None,
    generated: bool = True,
) -> list[Case]:
    """Every program of `groups` (files, plus generated ones) crossed with every mode name -> extra flags."""
    if modes is None:
        modes = {"default": []}
    root = tests_dir if tests_dir is not None else find_tests_dir()
    programs: list[tuple[str, Path | None, str | None]] = [
        (rel, path, None) for rel, path in corpus_files(root, groups)
    ]
    if generated:
        programs += [(p.relpath, None, p.source) for p in generated_programs(groups)]
    programs.sort(key=lambda p: p[0])
    return [
        Case(mode, tuple(flags), rel, path, source)
        for mode, flags in modes.items()
        for rel, path, source in programs
    ]
