"""End-to-end runs of ``python -m lox_bench`` with CPython twins and fake stages (no timing asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lox_bench.discovery import Runner, find_bench_dir, load_benchmarks
from lox_bench.plot import have_matplotlib
from lox_bench.results import Report
from lox_bench.suite import run_suite

SRC = Path(__file__).resolve().parents[1] / "src"
REPO_BENCH = Path(__file__).resolve().parents[3] / "bench"

# A fake stage: "runs" NAME.lox by running its twin python/NAME.py; --crash exits 70, --wrong garbles output.
FAKE_STAGE = '''\
import runpy, sys
from pathlib import Path
flags = [a for a in sys.argv[1:] if a.startswith("--")]
source = Path([a for a in sys.argv[1:] if not a.startswith("--")][-1])
if "--crash" in flags:
    print("Operands must be numbers.", file=sys.stderr)
    sys.exit(70)
if "--wrong" in flags:
    print("nonsense")
    sys.exit(0)
runpy.run_path(str(source.parent / "python" / (source.stem + ".py")), run_name="__main__")
'''


# A fake reference implementation (any other Lox, such as clox): a shell script with canned output.
FAKE_REFERENCE = """\
#!/bin/sh
case "$1" in
  *tiny.lox) printf '3\\nab\\n0.0125\\n' ;;
  *hello.lox) printf '42\\n' ;;
  *) echo "fake reference: no such program $1" >&2; exit 74 ;;
esac
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    """A tmp dir with bench/ (two tiny benchmarks, one stray .lox) and two fake stage packages."""
    bench = tmp_path / "bench"
    write(bench / "tiny.lox", "var start = clock();\nprint 1 + 2;\nprint \"ab\";\nprint clock() - start;\n")
    write(bench / "tiny.expected", "3\nab\n")
    write(
        bench / "python" / "tiny.py",
        """\
        import time
        start = time.perf_counter()
        print("%g" % (1 + 2))
        print("ab")
        print(time.perf_counter() - start)
        """,
    )
    write(bench / "hello.lox", "print 42;\n")
    write(bench / "hello.expected", "42\n")
    write(bench / "python" / "hello.py", "print(42)\n")
    write(bench / "stray.lox", "print 1;\n")  # no .expected: skipped with a warning
    for name in ("fakestage_a", "fakestage_b"):
        write(tmp_path / "stages" / name / "__init__.py", "")
        write(tmp_path / "stages" / name / "__main__.py", FAKE_STAGE)
    return tmp_path


def run_cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    inherited = [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(workspace / "stages"), *inherited])
    return subprocess.run(
        [sys.executable, "-m", "lox_bench", *args],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cpython_and_fake_stages(workspace: Path) -> None:
    out_json = workspace / "results.json"
    done = run_cli(
        workspace,
        "--stage", "fakestage_a", "--stage", "fakestage_b", "--repeat", "2", "--json", str(out_json),
    )
    assert done.returncode == 0, done.stderr
    assert "skipping stray.lox" in done.stderr
    assert "rep 2/2" in done.stderr  # progress
    for name in ("== hello ==", "== tiny ==", "== summary ==", "cpython", "fakestage_a", "fakestage_b"):
        assert name in done.stdout
    assert "all outputs matched" in done.stdout
    report = Report.load(out_json)
    assert report.runners == ["cpython", "fakestage_a", "fakestage_b"]
    assert report.benchmarks == ["hello", "tiny"]
    for result in report.results:
        assert result.ok
        assert len(result.runs) == 2
        assert result.wall is not None and result.peak_mb is not None
    tiny = report.get("tiny", "fakestage_b")
    hello = report.get("hello", "cpython")
    assert tiny is not None and tiny.program is not None
    assert hello is not None and hello.program is None  # no timing line: in-program time unknown
    assert report.machine["python"] == sys.version.split()[0]

    # a second run compared with the first, as Markdown
    again = run_cli(
        workspace, "--stage", "fakestage_a", "--bench", "tiny", "--repeat", "1", "--no-python",
        "--compare", str(out_json), "--markdown", "--quiet",
    )
    assert again.returncode == 0, again.stderr
    assert "rep 1/1" not in again.stderr  # --quiet: no progress
    assert "#### tiny" in again.stdout
    assert "| runner | whole s | prog s | peak MB |" in again.stdout
    assert "prog now/then" in again.stdout
    assert "cpython" not in again.stdout


def test_failures_are_loud(workspace: Path) -> None:
    done = run_cli(
        workspace,
        "--stage", "fakestage_a", "--stage", "fakestage_b",
        "--flags", "fakestage_a=--wrong", "--flags", "fakestage_b=--crash", "--repeat", "3",
    )
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    row_a = next(line for line in lines if line.startswith("fakestage_a"))
    row_b = next(line for line in lines if line.startswith("fakestage_b"))
    assert "FAIL" in row_a
    assert "ERROR" in row_b
    assert "expected '42', got 'nonsense'" in done.stdout
    assert "exit status 70: Operands must be numbers." in done.stdout
    assert "FAILED" in done.stdout
    # a pair that failed once is not run again
    assert done.stderr.count("fakestage_a          FAIL") == 2  # once per benchmark


def fake_reference(workspace: Path, name: str = "fakelox", text: str = FAKE_REFERENCE) -> Path:
    """Write an executable fake reference implementation into ``workspace``."""
    path = workspace / "refs" / name
    write(path, text)
    path.chmod(0o755)
    return path


def test_reference_and_variant_columns(workspace: Path) -> None:
    ref = fake_reference(workspace)
    out_json = workspace / "with-ref.json"
    done = run_cli(
        workspace,
        "--stage", "fakestage_a", "--ref", f"clox={ref}",
        "--variant", "a_again=fakestage_a", "--flags", "a_again=--ignored-flag",
        "--repeat", "2", "--json", str(out_json),
    )
    assert done.returncode == 0, done.stderr
    report = Report.load(out_json)
    assert report.runners == ["cpython", "clox", "fakestage_a", "a_again"]
    assert report.references == {"clox": str(ref)}
    assert report.variants == {"a_again": "fakestage_a"}
    assert report.flags == {"a_again": ["--ignored-flag"]}
    tiny = report.get("tiny", "clox")
    assert tiny is not None and tiny.ok and len(tiny.runs) == 2
    assert tiny.program == pytest.approx(0.0125)  # the canned timing line
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("runner") and "whole s" in line)
    assert "prog/clox" in header and "whole/clox" in header
    clox_row = next(line for line in lines if line.startswith("clox "))
    assert "1.00x" in clox_row  # the reference against itself
    summary = lines[lines.index("== summary ==") + 1]
    assert summary.split()[-2:] == ["prog/clox", "whole/clox"]
    assert "all outputs matched" in done.stdout

    # the same run as Markdown, and a reference whose output is wrong fails loudly
    liar = fake_reference(workspace, "liar", "#!/bin/sh\necho 41\n")
    bad = run_cli(
        workspace, "--no-python", "--stage", "fakestage_a", "--bench", "hello", "--ref", f"liar={liar}",
        "--repeat", "1", "--markdown", "--quiet",
    )
    assert bad.returncode == 1
    assert "| runner | whole s | prog s | peak MB | whole/CPy | prog/CPy | prog/prev | whole/prev " \
        "| prog/liar | whole/liar |" in bad.stdout
    assert "liar: FAIL: line 1: expected '42', got '41'" in bad.stdout


def test_usage_errors(workspace: Path) -> None:
    assert run_cli(workspace, "--bench", "nope").returncode == 2
    assert run_cli(workspace, "--stage", "no_such_stage_module").returncode == 2
    assert run_cli(workspace, "--stage", "fakestage_a", "--flags", "other=--x").returncode == 2
    assert run_cli(workspace, "--repeat", "0").returncode == 2
    ref = fake_reference(workspace)
    assert run_cli(workspace, "--ref", "clox").returncode == 2  # no =PATH
    assert run_cli(workspace, "--ref", f"clox={workspace / 'nothing'}").returncode == 2
    assert run_cli(workspace, "--ref", f"cpython={ref}").returncode == 2  # a name that is taken
    assert run_cli(workspace, "--ref", f"x={ref}", "--ref", f"x={ref}").returncode == 2
    assert run_cli(workspace, "--variant", "v=no_such_stage_module:--x").returncode == 2
    assert run_cli(workspace, "--variant", "fakestage_a=fakestage_a:--x", "--stage", "fakestage_a").returncode == 2
    assert run_cli(workspace, "--variant", "=fakestage_a").returncode == 2
    empty = workspace / "empty"
    empty.mkdir()
    assert run_cli(workspace, "--bench-dir", str(empty)).returncode == 2


def test_plot_without_matplotlib_or_with(workspace: Path) -> None:
    png = workspace / "chart.png"
    done = run_cli(workspace, "--bench", "hello", "--repeat", "1", "--plot", str(png), "--quiet")
    if not have_matplotlib():
        assert done.returncode == 2
        assert "needs matplotlib" in done.stderr
        assert not png.exists()
    else:
        assert done.returncode == 0, done.stderr
        assert png.read_bytes().startswith(b"\x89PNG")


def test_run_suite_api(workspace: Path) -> None:
    bench_dir = find_bench_dir(workspace / "bench" / "python")
    assert bench_dir == workspace / "bench"
    benchmarks, warnings = load_benchmarks(bench_dir)
    assert [b.name for b in benchmarks] == ["hello", "tiny"]
    assert len(warnings) == 1
    lines: list[str] = []
    report = run_suite(benchmarks, [Runner("cpython")], repeat=1, warmup=1, progress=lines.append)
    assert all(r.ok and len(r.runs) == 1 for r in report.results)
    assert any("warm-up 1/1" in line for line in lines)
    assert Report.from_json(report.to_json()) == report
    assert json.loads(report.to_json())["repeat"] == 1


@pytest.mark.skipif(not REPO_BENCH.is_dir(), reason="repository bench/ not found")
def test_repository_benchmarks_are_complete() -> None:
    benchmarks, warnings = load_benchmarks(REPO_BENCH)
    assert not warnings
    names = {b.name for b in benchmarks}
    assert {"fib", "loop", "closures", "strings", "many_functions", "calls", "startup"} <= names
    natural = {"loop_main", "calls_main", "closures_main", "calls_toplevel", "fib_toplevel"}
    classes = {"method_call", "properties", "instantiation", "invocation", "zoo", "binary_trees", "interpreter",
               "cold_classes", "instances_loop", "trees", "cache_fixed"}
    assert natural | classes | {"cold_script", "strings_built"} <= names
    for bench in benchmarks:
        assert bench.twin is not None, bench.name
        assert bench.expected, bench.name
        assert bench.needs_classes == (bench.name in classes), bench.name


@pytest.mark.skipif(not REPO_BENCH.is_dir(), reason="repository bench/ not found")
def test_repository_quick_twins_match() -> None:
    benchmarks, _ = load_benchmarks(REPO_BENCH)
    quick = [b for b in benchmarks if b.name in ("startup", "many_functions")]
    report = run_suite(quick, [Runner("cpython")], repeat=1)
    assert [r.status for r in report.results] == ["ok", "ok"]
