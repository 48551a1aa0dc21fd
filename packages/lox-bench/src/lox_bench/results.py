"""The measured data (runs, per-pair results, the whole report) and its JSON form."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Identifies the JSON layout written by :meth:`Report.to_json`.
FORMAT = "lox-bench/1"

OK = "ok"
FAIL = "FAIL"  # wrong output
ERROR = "ERROR"  # non-zero exit status
TIMEOUT = "TIMEOUT"  # killed after --timeout seconds
NOT_APPLICABLE = "n/a"  # the runner cannot run this benchmark (no twin, needs classes)

#: The runner name of the CPython twins.
CPYTHON = "cpython"

#: Statuses that mean something went wrong (they make the runner exit 1).
BAD_STATUSES = frozenset({FAIL, ERROR, TIMEOUT})


@dataclass(frozen=True)
class Run:
    """One execution: wall seconds, in-program seconds (None if not printed), peak KB, status, why."""

    wall: float
    program: float | None
    peak_kb: int
    status: str = OK
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """This run as JSON-ready data."""
        return {
            "wall": self.wall,
            "program": self.program,
            "peak_kb": self.peak_kb,
            "status": self.status,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        """A run read back from :meth:`to_dict` data."""
        program = data.get("program")
        return cls(
            wall=float(data["wall"]),
            program=None if program is None else float(program),
            peak_kb=int(data["peak_kb"]),
            status=str(data.get("status", OK)),
            detail=str(data.get("detail", "")),
        )


def median_or_none(values: list[float | None]) -> float | None:
    """The median of ``values``, or None if there are none or any is None."""
    if not values or any(v is None for v in values):
        return None
    return statistics.median(v for v in values if v is not None)


@dataclass
class Result:
    """All runs of one benchmark by one runner; the figures are medians over successful runs."""

    bench: str
    runner: str
    runs: list[Run] = field(default_factory=list)
    not_applicable: bool = False

    @property
    def status(self) -> str:
        """``ok``, ``n/a``, or the status of the first run that went wrong."""
        if self.not_applicable:
            return NOT_APPLICABLE
        for run in self.runs:
            if run.status != OK:
                return run.status
        return OK if self.runs else NOT_APPLICABLE

    @property
    def detail(self) -> str:
        """Why the first bad run went wrong ("" when all is well)."""
        for run in self.runs:
            if run.status != OK:
                return run.detail
        return ""

    @property
    def ok(self) -> bool:
        """True when there are runs and all of them succeeded."""
        return self.status == OK

    def _good(self) -> list[Run]:
        return [run for run in self.runs if run.status == OK] if self.ok else []

    @property
    def wall(self) -> float | None:
        """Median whole-process seconds (None unless every run succeeded)."""
        return median_or_none([run.wall for run in self._good()])

    @property
    def program(self) -> float | None:
        """Median in-program seconds (None if the program printed no timing line, or a run failed)."""
        return median_or_none([run.program for run in self._good()])

    @property
    def peak_mb(self) -> float | None:
        """Median peak resident memory of the child in MiB."""
        return median_or_none([run.peak_kb / 1024.0 for run in self._good()])

    def to_dict(self) -> dict[str, Any]:
        """This result (with its medians, for readers of the file) as JSON-ready data."""
        return {
            "bench": self.bench,
            "runner": self.runner,
            "status": self.status,
            "detail": self.detail,
            "not_applicable": self.not_applicable,
            "wall": self.wall,
            "program": self.program,
            "peak_mb": self.peak_mb,
            "runs": [run.to_dict() for run in self.runs],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """A result read back from :meth:`to_dict` data (medians are recomputed from the runs)."""
        return cls(
            bench=str(data["bench"]),
            runner=str(data["runner"]),
            runs=[Run.from_dict(run) for run in data.get("runs", [])],
            not_applicable=bool(data.get("not_applicable", False)),
        )


@dataclass
class Report:
    """A whole benchmarking session: which benchmarks and runners, how, and every result."""

    benchmarks: list[str]
    runners: list[str]
    results: list[Result] = field(default_factory=list)
    repeat: int = 1
    flags: dict[str, list[str]] = field(default_factory=dict)
    created: str = ""
    machine: dict[str, str] = field(default_factory=dict)
    #: Reference runners (other Lox implementations): runner name -> the program it ran.
    references: dict[str, str] = field(default_factory=dict)
    #: Variants (a stage under another name): runner name -> the stage module it ran.
    variants: dict[str, str] = field(default_factory=dict)

    def get(self, bench: str, runner: str) -> Result | None:
        """The result for ``bench`` run by ``runner``, if there is one."""
        for result in self.results:
            if result.bench == bench and result.runner == runner:
                return result
        return None

    def result(self, bench: str, runner: str) -> Result:
        """The result for (``bench``, ``runner``), created empty on first use."""
        found = self.get(bench, runner)
        if found is None:
            found = Result(bench, runner)
            self.results.append(found)
        return found

    def is_reference(self, runner: str) -> bool:
        """Whether ``runner`` is a reference runner (another Lox implementation)."""
        return runner in self.references

    def is_stage(self, runner: str) -> bool:
        """Whether ``runner`` is a plain stage: not the CPython twins, a reference or a variant."""
        return runner != CPYTHON and runner not in self.references and runner not in self.variants

    @property
    def failures(self) -> list[Result]:
        """Results whose status is FAIL, ERROR or TIMEOUT."""
        return [r for r in self.results if r.status in BAD_STATUSES]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "format": FORMAT,
            "created": self.created,
            "machine": dict(self.machine),
            "repeat": self.repeat,
            "benchmarks": list(self.benchmarks),
            "runners": list(self.runners),
            "flags": {k: list(v) for k, v in self.flags.items()},
            "references": dict(self.references),
            "variants": dict(self.variants),
            "results": [result.to_dict() for result in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """A report read back from :meth:`to_dict` data."""
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file (format: {data.get('format')!r})")
        return cls(
            benchmarks=[str(b) for b in data["benchmarks"]],
            runners=[str(r) for r in data["runners"]],
            results=[Result.from_dict(r) for r in data["results"]],
            repeat=int(data.get("repeat", 1)),
            flags={str(k): [str(f) for f in v] for k, v in data.get("flags", {}).items()},
            created=str(data.get("created", "")),
            machine={str(k): str(v) for k, v in data.get("machine", {}).items()},
            references={str(k): str(v) for k, v in data.get("references", {}).items()},
            variants={str(k): str(v) for k, v in data.get("variants", {}).items()},
        )

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Report:
        """A report parsed from :meth:`to_json` text."""
        return cls.from_dict(json.loads(text))

    def save(self, path: Path) -> None:
        """Write the report as JSON to ``path``."""
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Report:
        """Read a report written by :meth:`save`."""
        return cls.from_json(path.read_text(encoding="utf-8"))
