"""Compile workers from the outside: code still runs when a worker crashes or hangs, no worker outlives
the VM however it ends, a program that never gets hot starts none, stale results are dropped, and the
main thread's share of compiling is reported."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stage1_interp.functions import FunctionRecord
from stage6_helpers import (EVERY_MODULE, MODES, VM, assert_clean, gone, lox_env, make_vm, run_everywhere, run_program,
                            stats_counter, trace_lines, worker_pids)

#: Hot functions, a hot loop (an OSR entry), classes and garbage: every kind of job a worker gets.
HOT = """\
class Point { init(x, y) { this.x = x; this.y = y; } sum() { return this.x + this.y; } }
fun work(n) { var s = 0; for (var i = 0; i < n; i = i + 1) s = s + Point(i, 1).sum(); return s; }
var total = 0;
for (var k = 0; k < 300; k = k + 1) total = total + work(50);
print total;
"""
EXPECTED = "382500\n"


def test_every_mode_agrees(tmp_path: Path) -> None:
    """The program prints the same with compiles in process, in one or two workers, deterministic or not."""
    run = run_everywhere(tmp_path, HOT, MODES)
    assert run.stdout == EXPECTED


@pytest.mark.parametrize("attempt", range(5))
def test_background_compiles_change_nothing_run_after_run(tmp_path: Path, attempt: int) -> None:
    """Whenever the code gets installed, the output is the same (run several times)."""
    run = run_program(tmp_path, HOT, "--threshold=2", "--trace=compile", *EVERY_MODULE)
    assert_clean(run, 0)
    assert run.stdout == EXPECTED
    assert worker_pids(run), run.stderr


def test_a_crashed_worker_changes_nothing(tmp_path: Path) -> None:
    """A worker that dies on its first job: one trace line, the job compiled in process, same output.
    (Deterministic, so that the job waits for the worker to load LLVM rather than compiling here.)"""
    run = run_program(tmp_path, HOT, "--trace=compile", "--stats", "--compile-deterministic", *EVERY_MODULE,
                      "--set", "compile_worker_crash_after=1")
    assert_clean(run, 0)
    assert run.stdout == EXPECTED
    lines = trace_lines(run.stderr, "compile")
    assert any("exited with status 3" in line for line in lines), lines
    assert stats_counter(run.stderr, "compile.worker_failures") >= 1
    assert stats_counter(run.stderr, "tier.compiled") >= 1        # the work got compiled all the same


def test_a_hung_worker_is_killed(tmp_path: Path) -> None:
    """A worker that stops answering is killed after the timeout; its jobs are compiled in process."""
    run = run_program(tmp_path, HOT, "--trace=compile", "--compile-deterministic", *EVERY_MODULE, "--set",
                      "compile_worker_hang_after=1", "--set", "compile_timeout_s=0.3")
    assert_clean(run, 0)
    assert run.stdout == EXPECTED
    lines = trace_lines(run.stderr, "compile")
    assert any("hung" in line for line in lines), lines
    assert all(gone(pid) for pid in worker_pids(run))


@pytest.mark.parametrize("ending, status", [
    ("", 0),
    ("print nil + 1;", 70),
    ("exit(3);", 3),
    ("var big = \"\"; for (var i = 0; i < 100000; i = i + 1) big = big + \"abcdefgh\" + big;", 70),
])
def test_no_worker_outlives_the_vm(tmp_path: Path, ending: str, status: int) -> None:
    """After a normal end, a runtime error or running out of memory, the workers are gone."""
    flags = ("--trace=compile", *EVERY_MODULE, *(("--set", "heap_limit_mb=64") if "big" in ending else ()))
    run = run_program(tmp_path, HOT + ending, *flags)
    assert run.status == status, run.describe()
    pids = worker_pids(run)
    assert pids, run.stderr
    assert all(gone(pid) for pid in pids)


def test_no_worker_outlives_ctrl_c(tmp_path: Path) -> None:
    """Ctrl-C while the program runs with a worker: the VM ends, and so does the worker."""
    path = tmp_path / "forever.lox"
    path.write_text(HOT + "while (true) total = total + work(1);\n")
    with subprocess.Popen([sys.executable, "-m", VM, "--trace=compile", *EVERY_MODULE, str(path)], env=lox_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as vm:
        assert vm.stderr is not None
        line = vm.stderr.readline()
        while line and not line.startswith("[compile] started compile worker"):
            line = vm.stderr.readline()
        pid = int(line.rsplit("pid ", 1)[1].rstrip(")\n"))
        time.sleep(0.3)
        vm.send_signal(signal.SIGINT)
        vm.communicate(timeout=30)
    assert gone(pid)


def test_a_program_that_never_gets_hot_starts_no_worker(tmp_path: Path) -> None:
    """Start-up pays nothing for the machinery: no worker unless something is compiled."""
    run = run_program(tmp_path, "print 1 + 2;", "--trace=compile", *EVERY_MODULE)
    assert_clean(run, 0)
    assert run.stdout == "3\n"
    assert worker_pids(run) == []


def test_small_modules_start_no_worker(tmp_path: Path) -> None:
    """By default a program whose hot modules are all small compiles them on the main thread, as stage 5
    does, and never starts a worker."""
    run = run_program(tmp_path, HOT, "--trace=compile", "--stats")
    assert_clean(run, 0)
    assert run.stdout == EXPECTED
    assert worker_pids(run) == []
    assert stats_counter(run.stderr, "compile.small_in_process") >= 1


def test_main_thread_time_is_reported(tmp_path: Path) -> None:
    """``--stats`` says how long the main thread spent compiling and how long the workers did."""
    run = run_program(tmp_path, HOT, "--stats", "--compile-deterministic", *EVERY_MODULE)
    assert_clean(run, 0)
    assert "compile.main_thread_s" in run.stderr and "compile.worker_s" in run.stderr, run.stderr
    assert stats_counter(run.stderr, "compile.background_jobs") >= 1


def test_workers_are_tracks_on_the_timeline(tmp_path: Path) -> None:
    """``--trace-file``: each worker is a named track, with its compiles as spans on it."""
    trace = tmp_path / "trace.json"
    run = run_program(tmp_path, HOT, "--compile-deterministic", *EVERY_MODULE, "--trace-file", str(trace))
    assert_clean(run, 0)
    events = json.loads(trace.read_text())["traceEvents"]
    tracks = {e["tid"] for e in events if e["ph"] == "M" and e["args"]["name"] == "compile worker 1"}
    assert len(tracks) == 1
    assert any(e["ph"] == "X" and e["tid"] in tracks and e["name"].startswith("compile: ") for e in events)


def test_a_result_made_stale_by_a_deopt_is_dropped() -> None:
    """A function deoptimised (its versions invalidated) while its optimised compile is in flight: the
    result comes back, is checked, and dropped; the function counts towards hot again and its entry is
    left as the deopt left it."""
    vm = make_vm(threshold=1000, compile_worker_min_size=0)
    assert vm.run_source("fun f(x) { return x + 1; }\nfor (var i = 0; i < 5; i = i + 1) f(i);\n") == 0
    record = next(r for r in vm.records if r.name == "f")
    tiering = vm.tiering
    tiering.enqueue(record)
    batch = list(tiering.queue)
    tiering.queue.clear()
    (module,) = tiering.build(batch)
    tiering.workers().wait_ready()          # so that the module goes to the worker
    tiering.compile_module(module)
    assert len(tiering.in_flight) == 1       # and its quick code is installed meanwhile
    assert record.state == FunctionRecord.COMPILED
    vm.discard(record, "test: a deopt while compiling")
    (number,) = tiering.in_flight
    assert tiering.pool is not None
    tiering.finish(tiering.pool.wait_for(number))
    assert vm.stats.counters.get("compile.stale_dropped") == 1
    assert record.state == FunctionRecord.INTERPRETED and record.native_entry is None
    tiering.close()
