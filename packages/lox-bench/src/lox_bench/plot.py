"""A PNG bar chart of a report, drawn with matplotlib (an optional dependency: ``lox-bench[plot]``)."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from lox_bench.results import Report

MISSING_MATPLOTLIB = (
    "lox-bench: --plot needs matplotlib, which is not installed here; "
    "install it with `pip install 'lox-bench[plot]'` (or `pip install matplotlib`)"
)


def have_matplotlib() -> bool:
    """Whether matplotlib can be imported."""
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):
        return False


def plot_report(report: Report, path: Path) -> None:
    """Draw whole-process and in-program seconds per benchmark, one bar per runner, into ``path``.

    Bars are medians on a log scale; a runner that failed a benchmark (or has
    no in-program time for it) has no bar there. Raises ImportError without
    matplotlib.
    """
    matplotlib = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    plt = importlib.import_module("matplotlib.pyplot")

    benches = report.benchmarks
    runners = report.runners
    fig, axes = plt.subplots(2, 1, figsize=(max(8.0, 2.0 + 0.25 * len(benches) * max(1, len(runners))), 8))
    width = 0.8 / max(1, len(runners))
    for ax, attr, title in (
        (axes[0], "wall", "whole process (s, median)"),
        (axes[1], "program", "in-program timed section (s, median)"),
    ):
        drawn = 0
        for k, runner in enumerate(runners):
            xs: list[float] = []
            ys: list[float] = []
            for i, bench in enumerate(benches):
                result = report.get(bench, runner)
                value = getattr(result, attr) if result is not None else None
                if isinstance(value, float) and value > 0:
                    xs.append(i - 0.4 + width * (k + 0.5))
                    ys.append(value)
            ax.bar(xs, ys, width=width, label=runner)
            drawn += len(ys)
        ax.set_xticks(range(len(benches)))
        ax.set_xticklabels(benches)
        ax.set_xlim(-0.5, len(benches) - 0.5)
        if drawn:
            ax.set_yscale("log")
        else:
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center")
        ax.set_title(title)
        ax.grid(axis="y", which="both", alpha=0.3)
    axes[0].legend(fontsize="small", ncol=min(4, max(1, len(runners))))
    fig.suptitle(f"lox-bench ({report.created}, {report.machine.get('platform', '')})", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
