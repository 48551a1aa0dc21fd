"""Parse the expectation comments of a `.lox` test program into an `Expectation`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: Exit status of a program stopped by a compile error (sysexits EX_DATAERR).
EXIT_COMPILE_ERROR = 65
#: Exit status of a program stopped by a runtime error (sysexits EX_SOFTWARE).
EXIT_RUNTIME_ERROR = 70

# The grammar of one clox compile-error line, without the "[line N] " prefix.
_ERROR_BODY = r"Error(?: at end| at '.*')?: .+"
_COMPILE_ERROR_LINE = re.compile(r"\[line (\d+)\] " + _ERROR_BODY)
_SHORT_COMPILE_ERROR = re.compile(_ERROR_BODY)

_EXPECT_STDOUT = re.compile(r"expect: ?(.*)")
_EXPECT_RUNTIME = re.compile(r"expect runtime error: (.+)")
_EXPECT_TRACE = re.compile(r"expect trace(?: \((\d+) times\))?: (.+)")
_EXPECT_STDERR = re.compile(r"expect stderr: ?(.*)")
_EXPECT_EXIT = re.compile(r"expect exit: (-?\d+)\s*")
_STDIN = re.compile(r"stdin: ?(.*)")
_ALLOW_COMPILE_ERROR = re.compile(r"allow compile error\s*")

# The two shapes of a stack-trace line: one frame, or the elided middle of a very deep stack.
_TRACE_FRAME = re.compile(r"\[line (\d+)\] in (?:script|[A-Za-z_][A-Za-z_0-9]*\(\))")
_TRACE_ELISION = re.compile(r"\[\.\.\. [1-9]\d* more frames \.\.\.\]")


class ExpectationError(ValueError):
    """A test program's expectation comments are malformed or contradict each other."""


@dataclass(frozen=True)
class RuntimeErrorExpectation:
    """A runtime error the program must stop with: message and the line of the innermost frame."""

    message: str
    line: int


@dataclass(frozen=True)
class Expectation:
    """Everything a test program's comments say about how running it must go."""

    stdout: tuple[str, ...] = ()
    stdin: str = ""
    compile_errors: tuple[str, ...] = ()
    runtime_error: RuntimeErrorExpectation | None = None
    stderr: tuple[str, ...] = ()
    exit_code: int = 0
    allow_compile_error: bool = False
    #: The whole stack trace of the runtime error, innermost frame first (empty without one).
    trace: tuple[str, ...] = ()

    @property
    def stdout_text(self) -> str:
        """The exact standard output expected, every line ending in a newline."""
        return "".join(line + "\n" for line in self.stdout)

    @property
    def is_compile_error(self) -> bool:
        """True when the program must be rejected by the compiler."""
        return bool(self.compile_errors)


def comments(source: str) -> list[tuple[int, str]]:
    """Return `(line, text)` for every `//` comment of a Lox source, skipping `//` inside strings."""
    found: list[tuple[int, str]] = []
    line = 1
    i = 0
    n = len(source)
    in_string = False
    while i < n:
        c = source[i]
        if c == "\n":
            line += 1
        elif in_string:
            if c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == "/" and source.startswith("//", i):
            end = source.find("\n", i)
            if end == -1:
                end = n
            found.append((line, source[i + 2 : end].rstrip("\r")))
            i = end
            continue
        i += 1
    return found


def parse_expectations(source: str, name: str = "<source>") -> Expectation:
    """Read the expectation comments of a Lox program (see the package README for the format)."""
    stdout: list[str] = []
    stdin: list[str] = []
    compile_errors: list[str] = []
    stderr: list[str] = []
    runtime_error: RuntimeErrorExpectation | None = None
    exit_code: int | None = None
    allow_compile_error = False
    trace: list[str] = []
    first_trace_line = 0

    def fail(line: int, message: str) -> ExpectationError:
        return ExpectationError(f"{name}:{line}: {message}")

    for line, raw in comments(source):
        text = raw.lstrip()
        if m := _EXPECT_RUNTIME.fullmatch(text):
            if runtime_error is not None:
                raise fail(line, "more than one 'expect runtime error' comment")
            runtime_error = RuntimeErrorExpectation(m.group(1).rstrip(), line)
        elif m := _EXPECT_TRACE.fullmatch(text):
            frame = m.group(2).rstrip()
            if not (_TRACE_FRAME.fullmatch(frame) or _TRACE_ELISION.fullmatch(frame)):
                raise fail(line, f"not a stack-trace line ('[line N] in f()', '[line N] in script' "
                                 f"or '[... K more frames ...]'): {frame!r}")
            times = 1 if m.group(1) is None else int(m.group(1))
            if times < 1:
                raise fail(line, "'expect trace (N times)' needs N of at least 1")
            if not trace:
                first_trace_line = line
            trace.extend([frame] * times)
        elif m := _EXPECT_STDERR.fullmatch(text):
            stderr.append(m.group(1))
        elif m := _EXPECT_EXIT.fullmatch(text):
            if exit_code is not None:
                raise fail(line, "more than one 'expect exit' comment")
            exit_code = int(m.group(1))
        elif m := _EXPECT_STDOUT.fullmatch(text):
            stdout.append(m.group(1))
        elif text.startswith("expect"):
            raise fail(line, f"unrecognised expectation comment: //{raw}")
        elif m := _STDIN.fullmatch(text):
            stdin.append(m.group(1))
        elif _ALLOW_COMPILE_ERROR.fullmatch(text):
            allow_compile_error = True
        elif _COMPILE_ERROR_LINE.fullmatch(text.rstrip()):
            compile_errors.append(text.rstrip())
        elif _SHORT_COMPILE_ERROR.fullmatch(text.rstrip()):
            compile_errors.append(f"[line {line}] {text.rstrip()}")

    if trace and runtime_error is None:
        raise fail(first_trace_line, "'expect trace' comments need an 'expect runtime error' comment")
    if compile_errors:
        if stdout or runtime_error is not None or stderr or exit_code is not None:
            raise fail(1, "a compile-error test cannot also expect output, a runtime error or an exit status")
        if allow_compile_error:
            raise fail(1, "'allow compile error' makes no sense in a compile-error test")
        code = EXIT_COMPILE_ERROR
    elif runtime_error is not None:
        if exit_code is not None:
            raise fail(runtime_error.line, "a runtime-error test cannot also expect an exit status")
        code = EXIT_RUNTIME_ERROR
        if not trace:
            trace = [f"[line {runtime_error.line}] in script"]
        elif not trace[0].startswith(f"[line {runtime_error.line}] "):
            raise fail(
                first_trace_line,
                f"the first 'expect trace' line must start with '[line {runtime_error.line}]' "
                f"(the line of the 'expect runtime error' comment), not {trace[0]!r}",
            )
    else:
        code = 0 if exit_code is None else exit_code

    return Expectation(
        stdout=tuple(stdout),
        stdin="".join(s + "\n" for s in stdin),
        compile_errors=tuple(compile_errors),
        runtime_error=runtime_error,
        stderr=tuple(stderr),
        exit_code=code,
        allow_compile_error=allow_compile_error,
        trace=tuple(trace),
    )


def parse_file(path: Path) -> Expectation:
    """Read a `.lox` file and parse its expectation comments."""
    return parse_expectations(path.read_text(encoding="utf-8"), str(path))


def is_clean_compile_error_line(line: str) -> bool:
    """True when `line` has the exact shape of a clox compile error report."""
    return _COMPILE_ERROR_LINE.fullmatch(line) is not None
