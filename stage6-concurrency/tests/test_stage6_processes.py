"""Compile processes from the outside and from the inside: code still runs when a process crashes or hangs,
none outlives the VM however it ends, a program that never gets hot forks none, what a process sends back is
checked (stale versions, a full collection since the fork, the snapshot's limits) and names the VM's own
side tables, and the main thread's share of compiling is reported."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stage1_interp.functions import FunctionRecord
from stage6_concurrency.settings import default_compile_threads
from stage6_concurrency.tiering import Flight
from stage6_concurrency.vm import ConcurrentVM
from stage6_helpers import (EVERY_MODULE, MODES, VM, assert_clean, gone, lox_env, make_vm, process_pids,
                            run_everywhere, run_program, stats_counter, trace_lines)

#: Hot functions, a hot loop (an OSR entry), classes and garbage: every kind of job a process gets.
HOT = """\
class Point { init(x, y) { this.x = x; this.y = y; } sum() { return this.x + this.y; } }
fun work(n) { var s = 0; for (var i = 0; i < n; i = i + 1) s = s + Point(i, 1).sum(); return s; }
var total = 0;
for (var k = 0; k < 300; k = k + 1) total = total + work(50);
print total;
"""
EXPECTED = "382500\n"

#: The first compile process hangs until killed: it is alive whenever the VM ends.
FIRST_HANGS = ("--set", "compile_process_hang_at=1")


def test_every_mode_agrees(tmp_path: Path) -> None:
    """The program prints the same with compiles in process, in one or two processes, deterministic or not."""
    run = run_everywhere(tmp_path, HOT, MODES)
    assert run.stdout == EXPECTED


@pytest.mark.parametrize("attempt", range(5))
def test_background_compiles_change_nothing_run_after_run(tmp_path: Path, attempt: int) -> None:
    """Whenever the code gets installed, the output is the same (run several times)."""
    run = run_program(tmp_path, HOT, "--threshold=2", "--trace=compile", *EVERY_MODULE)
    assert_clean(run, 0)
    assert run.stdout == EXPECTED
    assert process_pids(run), run.stderr


def test_a_crashed_process_changes_nothing(tmp_path: Path) -> None:
    """A process that dies before answering: one trace line, its jobs compiled in process, same output."""
    run = run_program(tmp_path, HOT, "--trace=compile", "--stats", "--compile-deterministic", *EVERY_MODULE,
                      "--set", "compile_process_crash_at=1")
    assert_clean(run, 0)
    assert run.stdout == EXPECTED
    lines = trace_lines(run.stderr, "compile")
    assert any("compile process 1 failed (exited with status 3 before it finished)" in line for line in lines), lines
    assert stats_counter(run.stderr, "compile.process_failures") == 1
    assert stats_counter(run.stderr, "tier.compiled") >= 1        # the work got compiled all the same


def test_a_hung_process_is_killed(tmp_path: Path) -> None:
    """A process that stops answering is killed after the timeout; its jobs are compiled in process."""
    run = run_program(tmp_path, HOT, "--trace=compile", "--compile-deterministic", *EVERY_MODULE, *FIRST_HANGS,
                      "--set", "compile_timeout_s=0.3")
    assert_clean(run, 0)
    assert run.stdout == EXPECTED
    lines = trace_lines(run.stderr, "compile")
    assert any("hung (nothing for 0.3 s): killed" in line for line in lines), lines
    assert all(gone(pid) for pid in process_pids(run))


@pytest.mark.parametrize("ending, status", [
    ("", 0),
    ("print nil + 1;", 70),
    ("exit(3);", 3),
    ("var big = \"\"; for (var i = 0; i < 100000; i = i + 1) big = big + \"abcdefgh\" + big;", 70),
])
def test_no_process_outlives_the_vm(tmp_path: Path, ending: str, status: int) -> None:
    """After a normal end, a runtime error, ``exit(n)`` or running out of memory, the compile processes are
    gone, the one still hanging at the end included."""
    flags = ("--trace=compile", *EVERY_MODULE, *FIRST_HANGS,
             *(("--set", "heap_limit_mb=64") if "big" in ending else ()))
    run = run_program(tmp_path, HOT + ending, *flags)
    assert run.status == status, run.describe()
    pids = process_pids(run)
    assert pids, run.stderr
    assert all(gone(pid) for pid in pids)


def test_no_process_outlives_ctrl_c(tmp_path: Path) -> None:
    """Ctrl-C while a compile process runs: the VM ends, and so does the process."""
    path = tmp_path / "forever.lox"
    path.write_text(HOT + "while (true) total = total + work(1);\n")
    with subprocess.Popen([sys.executable, "-m", VM, "--trace=compile", *EVERY_MODULE, *FIRST_HANGS, str(path)],
                          env=lox_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as vm:
        assert vm.stderr is not None
        line = vm.stderr.readline()
        while line and not line.startswith("[compile] forked compile process"):
            line = vm.stderr.readline()
        pid = int(line.split("(pid ", 1)[1].split(")", 1)[0])
        time.sleep(0.3)
        vm.send_signal(signal.SIGINT)
        vm.communicate(timeout=30)
    assert vm.returncode != 0
    assert gone(pid)


def test_a_request_that_went_cold_while_it_waited_is_dropped(tmp_path: Path) -> None:
    """``g`` gets hot at its last call (the threshold is 300) while the only process slot is held (by one
    that hangs until killed): when the slot frees, its request is dropped as cold instead of compiled."""
    source = ("fun f(x) { return x + 1; }\nfun g(x) { return x * 2; }\nvar s = 0;\n"
              "for (var i = 0; i < 400; i = i + 1) s = s + f(i);\n"
              "for (var i = 0; i < 300; i = i + 1) s = s + g(i);\n"
              "var start = clock();\nwhile (clock() - start < 1.5) s = s + f(1);\nprint \"done\";\n")
    run = run_program(tmp_path, source, "--trace=compile", "--stats", *EVERY_MODULE, *FIRST_HANGS,
                      "--set", "compile_timeout_s=0.5")
    assert_clean(run, 0)
    assert run.stdout == "done\n"
    compile_lines = trace_lines(run.stderr, "compile")
    assert any(line.startswith("dropped the request for g: not called") for line in compile_lines), compile_lines
    assert not any(" for g" in line and line.startswith(("forked", "installed")) for line in compile_lines)
    assert stats_counter(run.stderr, "compile.cold_dropped") == 1


def test_a_program_that_never_gets_hot_forks_nothing(tmp_path: Path) -> None:
    """Start-up pays nothing for the machinery: no process unless something is compiled."""
    run = run_program(tmp_path, "print 1 + 2;", "--trace=compile", *EVERY_MODULE)
    assert_clean(run, 0)
    assert run.stdout == "3\n"
    assert process_pids(run) == []


def test_main_thread_time_is_reported(tmp_path: Path) -> None:
    """``--stats`` says how long the main thread spent compiling and how long the processes took."""
    run = run_program(tmp_path, HOT, "--stats", "--compile-deterministic", *EVERY_MODULE)
    assert_clean(run, 0)
    for name in ("compile.main_thread_s", "compile.llvm_load_s", "compile.process_s", "compile.fork_s",
                 "compile.queue_wait_s"):
        assert name in run.stderr, run.stderr
    assert stats_counter(run.stderr, "compile.forks") >= 1
    assert stats_counter(run.stderr, "compile.background_modules") >= 1


@pytest.mark.parametrize("cores, processes", [(1, 0), (2, 1), (8, 1)])
def test_the_default_number_of_processes_follows_the_cores(cores: int, processes: int) -> None:
    """One usable core: compile on the main thread (a process would take the program's core); more: one."""
    assert default_compile_threads(cores) == processes


def test_one_core_compiles_on_the_main_thread(tmp_path: Path) -> None:
    """Run where the VM may use one core only (its affinity), the default forks nothing."""
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("no CPU affinity on this system")
    core = min(os.sched_getaffinity(0))
    source = tmp_path / "hot.lox"
    source.write_text(HOT)
    run = subprocess.run([sys.executable, "-c", f"import os, runpy, sys; os.sched_setaffinity(0, {{{core}}}); "
                          f"sys.argv = ['{VM}', '--trace=compile', '--stats', {str(source)!r}]; "
                          f"runpy.run_module('{VM}', run_name='__main__')"],
                         env=lox_env(), capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout == EXPECTED
    assert "forked compile process" not in run.stderr, run.stderr
    assert stats_counter(run.stderr, "compile.modules") >= 1


def test_processes_are_tracks_on_the_timeline(tmp_path: Path) -> None:
    """``--trace-file``: the compile process slot is a named track, with its compiles as spans on it."""
    trace = tmp_path / "trace.json"
    run = run_program(tmp_path, HOT, "--compile-deterministic", *EVERY_MODULE, "--trace-file", str(trace))
    assert_clean(run, 0)
    events = json.loads(trace.read_text())["traceEvents"]
    tracks = {e["tid"] for e in events if e["ph"] == "M" and e["args"]["name"] == "compile process 1"}
    assert len(tracks) == 1
    assert any(e["ph"] == "X" and e["tid"] in tracks and e["name"].startswith("compile: ") for e in events)


def assert_one_forked_osr_entry_entered(tmp_path: Path, source: str, expected: str) -> None:
    """Run ``source`` with every module and OSR entry forked: it prints ``expected``, its script asks for one
    OSR entry, which a process compiles, and enters it."""
    run = run_program(tmp_path, source, "--trace=compile,osr", *EVERY_MODULE)
    assert_clean(run, 0)
    assert run.stdout == expected
    osr = trace_lines(run.stderr, "osr")
    assert len([line for line in osr if "compiling an OSR entry" in line]) == 1, osr
    assert any("enters compiled code" in line for line in osr), osr
    assert process_pids(run), run.stderr


def test_a_hot_loop_enters_code_compiled_in_a_process(tmp_path: Path) -> None:
    """An OSR entry compiled in a process: the loop goes on interpreted meanwhile, asks once, and enters the
    code at a back-edge after it is installed."""
    assert_one_forked_osr_entry_entered(tmp_path, "var s = 0;\nfor (var i = 0; i < 200000; i = i + 1) s = s + 2;\n"
                                                  "print s;\n", "400000\n")


def test_the_loops_around_a_loop_in_flight_wait_for_its_entry(tmp_path: Path) -> None:
    """The inner loop's OSR entry is compiled in a process; meanwhile the outer loop's back-edges find the
    function hot too, but do not ask for an entry of their own: the inner one, once in, runs the outer loop
    as well, so the function is compiled once."""
    assert_one_forked_osr_entry_entered(tmp_path, "var s = 0;\nfor (var i = 0; i < 20000; i = i + 1) {\n"
                                                  "  var j = 0;\n  while (j < 10) { s = s + j; j = j + 1; }\n}\n"
                                                  "print s;\n", "900000\n")


@pytest.mark.parametrize("flags", [(), EVERY_MODULE], ids=["default", "every-module"])
def test_a_loop_whose_entry_deopted_gets_a_new_one(tmp_path: Path, flags: tuple[str, ...]) -> None:
    """A loop's OSR code deopts (its operands change type) and is discarded: the loop gets hot again, asks
    again, and enters new code, whether its entries compile here or in a process."""
    source = ("var a = 1;\nvar b = 2;\nvar n = 0;\nfor (var i = 0; i < 20000; i = i + 1) {\n"
              "  if (i == 5000) { a = \"p\"; b = \"q\"; }\n  var c = a + b;\n  n = n + 1;\n}\nprint n;\n")
    run = run_program(tmp_path, source, "--trace=osr,deopt", *flags)
    assert_clean(run, 0)
    assert run.stdout == "20000\n"
    osr = trace_lines(run.stderr, "osr")
    assert len([line for line in osr if "enters compiled code" in line]) >= 2, osr


# ---------------------------------------------------------------- from the inside

def hot_vm(source: str, **settings: object) -> tuple[ConcurrentVM, FunctionRecord]:
    """A VM that ran ``source`` interpreted (a high threshold) and the record of its function ``f``."""
    vm = make_vm(frozenset({"compile"}), threshold=100000, compile_fork_min_size=0, compile_quick_min_size=0,
                 **settings)
    assert vm.run_source(source) == 0
    return vm, next(r for r in vm.records if r.name == "f")


def diagnostics(vm: ConcurrentVM) -> str:
    """What the VM traced (``make_vm`` gives it a buffer)."""
    buffer = vm.options.diagnostics
    assert isinstance(buffer, io.StringIO)
    return buffer.getvalue()


def fork_and_wait(vm: ConcurrentVM, *records: FunctionRecord) -> Flight:
    """Queue ``records``, fork their compile, and wait until the process has sent everything (nothing
    installed)."""
    tiering = vm.tiering
    for record in records:
        tiering.enqueue(record)
    jobs = list(tiering.queue)
    tiering.queue.clear()
    tiering.fork(jobs)
    (flight,) = tiering.flights.values()
    assert tiering.processes is not None and flight.process is not None
    tiering.processes.wait_until_done(flight.process)
    return flight


METHOD = ("class A { m(x) { return x + 1; } }\nvar a = A();\n"
          "fun f(x) { return a.m(x); }\nfor (var i = 0; i < 100; i = i + 1) f(i);\n")


def test_a_result_made_stale_by_a_deopt_is_dropped() -> None:
    """A function deoptimised (its versions invalidated) while its compile is in flight: the results come
    back, are checked, and dropped; the function counts towards hot again and its entry is left as is."""
    vm, record = hot_vm("fun f(x) { return x + 1; }\nfor (var i = 0; i < 100; i = i + 1) f(i);\n")
    fork_and_wait(vm, record)
    vm.discard(record, "test: a deopt while compiling")
    vm.tiering.receive_all()
    assert vm.stats.counters.get("compile.stale_dropped") == 2          # the quick code and the optimised
    assert record.state == FunctionRecord.INTERPRETED and record.native_entry is None
    vm.tiering.close()


def test_a_process_sets_the_vms_safepoint_word_itself() -> None:
    """The process sets the VM's safepoint word when its code is ready (the word is shared), so the main thread
    stops for it even when the reader thread cannot get the GIL; at that safepoint the VM takes and installs it."""
    vm, record = hot_vm("fun f(x) { return x + 1; }\nfor (var i = 0; i < 100; i = i + 1) f(i);\n")
    vm.request_install = lambda: None       # type: ignore[method-assign]  # the reader thread sets nothing
    heap = vm.gc_heap
    heap.flags[heap.SAFEPOINT] = 0
    fork_and_wait(vm, record)
    assert heap.flags[heap.SAFEPOINT] == 1
    vm.safepoint()
    assert record.native_entry is not None, diagnostics(vm)
    assert "installed optimised code for f" in diagnostics(vm)
    vm.tiering.close()


def test_deopt_points_come_back_in_the_reserved_block_naming_the_vms_versions() -> None:
    """The process numbers its deopt points in the block set aside before the fork, and they arrive naming
    the code version the VM made (the same object, not a copy), which the installed code is."""
    vm, record = hot_vm("fun f(x) { return x + 1; }\nfor (var i = 0; i < 100; i = i + 1) f(i);\n")
    flight = fork_and_wait(vm, record)
    vm.tiering.receive_all()
    version = flight.versions[record.prototype]
    points = [p for p in vm.deopt.tables.points.values() if p.code is version]
    assert points and all(flight.first_point <= p.id < flight.first_point + flight.point_ids for p in points)
    assert vm.newest[record.prototype] is version and version.address != 0
    assert record.state == FunctionRecord.COMPILED
    vm.tiering.close()


def test_every_module_of_a_flight_carries_the_flights_side_tables_and_pins() -> None:
    """A flight built into several modules (here a small one and a huge one, compiled unoptimised on its own):
    each module's first message carries every deopt point and pin of the flight, since its code may be
    installed, and deopt, before the other modules' messages arrive."""
    from stage6_concurrency.snapshot import load_points
    source = ("class A { m(x) { return x + 1; } }\nvar a = A();\n"
              "fun f(x) { return a.m(x) + a.m(x + 1) + a.m(x + 2); }\nfun g(x) { return a.m(x) + 1; }\n"
              "for (var i = 0; i < 100; i = i + 1) { f(i); g(i); }\n")
    vm, f = hot_vm(source, max_optimised_size=15)
    g = next(r for r in vm.records if r.name == "g")
    flight = fork_and_wait(vm, f, g)
    tiering = vm.tiering
    assert tiering.processes is not None
    messages = [m for m in tiering.processes.take() if m["kind"] in ("quick", "final")]
    firsts = {m["module"]: m for m in reversed(messages)}
    assert len(firsts) == 2, [(m["kind"], m["title"]) for m in messages]
    carried = {title: {point.id for point in load_points(message["points"], flight.by_id)[0]}
               for title, message in ((m["title"], m) for m in firsts.values())}
    assert carried["f"] and carried["f"] == carried["g"], carried
    assert all(message["pins"] for message in firsts.values())
    tiering.close()


def test_code_naming_cached_objects_is_dropped_after_a_full_collection() -> None:
    """A full collection between the fork and the install could have freed an object the snapshot saw in a
    cache: code that pins objects is then compiled again here instead."""
    vm, record = hot_vm(METHOD)
    fork_and_wait(vm, record)
    vm.collector.collect(True, "test")
    vm.tiering.receive_all()
    assert vm.stats.counters.get("compile.dropped_after_full_gc") == 1
    assert record.state == FunctionRecord.COMPILED
    assert "a full collection ran since the fork" in diagnostics(vm)
    vm.tiering.close()


def test_code_naming_cached_objects_pins_them_at_install() -> None:
    """The objects the process's compile pinned are pinned here when the code is installed."""
    vm, record = hot_vm(METHOD)
    fork_and_wait(vm, record)
    before = vm.gc_heap.pin_count
    vm.tiering.receive_all()
    assert vm.gc_heap.pin_count > before
    vm.tiering.close()


def test_the_snapshot_cannot_make_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the prototypes made before the fork, compiling a function that makes closures needs new heap
    objects; the process refuses, says why, and the VM compiles the module itself."""
    source = "fun f(x) { fun g() { return x; } return g; }\nprint f(1)();\n"
    vm = make_vm(frozenset({"compile"}), jit="eager", compile_fork_min_size=0, compile_deterministic=True)
    monkeypatch.setattr(vm.tiering, "make_what_compiling_makes", lambda jobs: vm.engine)
    assert vm.run_source(source) == 0
    assert vm.runtime.out.getvalue() == b"1\n"            # type: ignore[attr-defined]
    assert "failed (SnapshotViolation: compiling needed a new heap object" in diagnostics(vm), diagnostics(vm)
    assert vm.stats.counters.get("compile.process_failures", 0) >= 1
    vm.tiering.close()
