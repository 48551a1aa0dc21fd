"""Cross-stage conformance testing: parse `.lox` expectation comments and run programs against a VM."""

from lox_testing.corpus import Case, corpus_cases, find_tests_dir
from lox_testing.expectations import (
    Expectation,
    ExpectationError,
    RuntimeErrorExpectation,
    parse_expectations,
    parse_file,
)
from lox_testing.generated import GeneratedProgram, generated_programs
from lox_testing.runner import (
    DEFAULT_TIMEOUT,
    RunResult,
    check_case,
    compare,
    format_failure,
    run_case,
    run_program,
)

__all__ = [
    "Case",
    "DEFAULT_TIMEOUT",
    "Expectation",
    "ExpectationError",
    "GeneratedProgram",
    "RunResult",
    "RuntimeErrorExpectation",
    "check_case",
    "compare",
    "corpus_cases",
    "find_tests_dir",
    "format_failure",
    "generated_programs",
    "parse_expectations",
    "parse_file",
    "run_case",
    "run_program",
]
