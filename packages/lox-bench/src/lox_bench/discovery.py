"""Finding the benchmarks (bench/*.lox with .expected files) and the runners (CPython twins, stages, references)."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lox_bench.results import CPYTHON as CPYTHON

#: Every stage package, in course order; the default runners are the importable ones.
DEFAULT_STAGES: tuple[str, ...] = (
    "stage0_jit",
    "stage1_interp",
    "stage2_ic",
    "stage3_deopt",
    "stage4_shapes",
    "stage5_gc",
    "stage6_concurrency",
)

#: Stages that run Lox without classes (docs/LANGUAGE.md): benchmarks needing classes are "n/a" there.
CLASSLESS_STAGES: frozenset[str] = frozenset(DEFAULT_STAGES[:4])

#: A benchmark whose source holds this marker (in a comment) needs classes.
REQUIRES_CLASSES_MARKER = "bench-requires: classes"



@dataclass(frozen=True)
class Benchmark:
    """One benchmark: its Lox source, its expected output (without the timing line) and its CPython twin."""

    name: str
    source: Path
    expected: tuple[str, ...]
    twin: Path | None
    needs_classes: bool = False


@dataclass(frozen=True)
class Runner:
    """Something that runs a benchmark: the CPython twins, a stage module, or another Lox implementation.

    ``name`` is the runner's column. A stage runs as ``python -m MODULE FLAGS
    FILE.lox``, where MODULE is ``module`` (default: ``name``); a runner whose
    ``module`` differs from its name is a *variant*, the same stage under
    another name (usually with other flags), so one stage can appear twice.
    A reference runner (``program`` set) runs ``PROGRAM FLAGS FILE.lox``: any
    other Lox implementation, such as clox.
    """

    name: str
    flags: tuple[str, ...] = field(default=())
    module: str | None = None
    program: str | None = None

    @property
    def is_python(self) -> bool:
        """True for the CPython-twin runner."""
        return self.name == CPYTHON and self.program is None and self.module is None

    @property
    def is_reference(self) -> bool:
        """True for a reference runner (another Lox implementation's executable)."""
        return self.program is not None

    @property
    def stage_module(self) -> str:
        """The module a stage or variant runs (``module``, or the name itself)."""
        return self.module if self.module is not None else self.name

    @property
    def is_variant(self) -> bool:
        """True for a stage run under a name other than its module's."""
        return not self.is_reference and not self.is_python and self.stage_module != self.name

    def applies_to(self, bench: Benchmark) -> bool:
        """Whether this runner can run ``bench`` at all (a twin exists; classes are supported)."""
        if self.is_python:
            return bench.twin is not None
        if self.is_reference:
            return True
        return not (bench.needs_classes and self.stage_module in CLASSLESS_STAGES)

    def command(self, bench: Benchmark, python: str = sys.executable) -> list[str]:
        """The argv that runs ``bench`` with this runner."""
        if self.is_python:
            if bench.twin is None:
                raise ValueError(f"benchmark {bench.name} has no CPython twin")
            return [python, str(bench.twin)]
        if self.program is not None:
            return [self.program, *self.flags, str(bench.source)]
        return [python, "-m", self.stage_module, *self.flags, str(bench.source)]


def find_bench_dir(start: Path | None = None) -> Path | None:
    """The nearest bench/ holding .lox files, walking up from ``start`` (default: the current directory)."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / "bench"
        if candidate.is_dir() and any(candidate.glob("*.lox")):
            return candidate
        if directory.name == "bench" and any(directory.glob("*.lox")):
            return directory
    return None


def load_benchmarks(bench_dir: Path) -> tuple[list[Benchmark], list[str]]:
    """Every ``NAME.lox`` in ``bench_dir`` that has a ``NAME.expected``, sorted by name, plus warnings."""
    benchmarks: list[Benchmark] = []
    warnings: list[str] = []
    for source in sorted(bench_dir.glob("*.lox")):
        name = source.stem
        expected_path = source.with_suffix(".expected")
        if not expected_path.is_file():
            warnings.append(f"skipping {source.name}: no {expected_path.name} beside it")
            continue
        twin = bench_dir / "python" / f"{name}.py"
        text = source.read_text(encoding="utf-8", errors="replace")
        benchmarks.append(
            Benchmark(
                name=name,
                source=source,
                expected=tuple(expected_path.read_text(encoding="utf-8").splitlines()),
                twin=twin if twin.is_file() else None,
                needs_classes=REQUIRES_CLASSES_MARKER in text,
            )
        )
    return benchmarks, warnings


def is_importable(module: str) -> bool:
    """Whether ``module`` can be found on this interpreter's path (children inherit the same path)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def available_stages(candidates: tuple[str, ...] = DEFAULT_STAGES) -> list[str]:
    """The importable stage modules among ``candidates``, in order."""
    return [name for name in candidates if is_importable(name)]
