"""Tests for corpus discovery, case ids and modes, plus a sanity check of the repository's own corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from lox_testing_helpers import write
from lox_testing import corpus_cases, find_tests_dir, generated_programs, parse_expectations, parse_file
from lox_testing.corpus import TESTS_DIR_ENV


def test_cases_cross_modes_and_files(corpus: Path) -> None:
    write(corpus, "core/b/two.lox", "print 2; // expect: 2\n")
    write(corpus, "core/a/one.lox", "print 1; // expect: 1\n")
    cases = corpus_cases(["core"], {"off": ["--jit=off"], "default": []}, tests_dir=corpus, generated=False)
    assert [str(c) for c in cases] == [
        "off:core/a/one.lox",
        "off:core/b/two.lox",
        "default:core/a/one.lox",
        "default:core/b/two.lox",
    ]
    assert cases[0].flags == ("--jit=off",)
    assert cases[0].path == (corpus / "core/a/one.lox").resolve()
    assert cases[0].group == "core"


def test_generated_programs_join_their_group(corpus: Path) -> None:
    cases = corpus_cases(["core"], {"default": []}, tests_dir=corpus)
    ids = [str(c) for c in cases]
    assert "default:core/generated/deep_parentheses_10000.lox" in ids
    assert all(c.source is not None for c in cases)


def test_missing_group_is_an_error(corpus: Path) -> None:
    with pytest.raises(FileNotFoundError, match="classes"):
        corpus_cases(["classes"], tests_dir=corpus)


def test_find_tests_dir_walks_up(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TESTS_DIR_ENV, raising=False)
    stage_tests = corpus.parent / "stage9-x" / "tests"
    stage_tests.mkdir(parents=True)
    assert find_tests_dir(stage_tests) == corpus.resolve()
    assert find_tests_dir(corpus / "core") == corpus.resolve()
    monkeypatch.chdir(stage_tests)
    assert find_tests_dir() == corpus.resolve()


def test_find_tests_dir_env_override(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TESTS_DIR_ENV, str(corpus))
    assert find_tests_dir(tmp_path) == corpus.resolve()
    monkeypatch.setenv(TESTS_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError):
        find_tests_dir()


def test_generated_programs_are_well_formed() -> None:
    programs = generated_programs(["core"])
    assert len({p.relpath for p in programs}) == len(programs)
    for program in programs:
        exp = parse_expectations(program.source, program.relpath)
        assert exp.stdout, program.relpath


# --- the repository's own corpus -------------------------------------------------------

REPO_TESTS = Path(__file__).resolve().parents[3] / "tests"


def repo_files() -> list[Path]:
    return sorted((REPO_TESTS / "core").rglob("*.lox")) if (REPO_TESTS / "core").is_dir() else []


@pytest.mark.skipif(not repo_files(), reason="repository corpus not present")
@pytest.mark.parametrize("path", repo_files(), ids=lambda p: p.relative_to(REPO_TESTS).as_posix())
def test_repository_corpus_file_is_well_formed(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    exp = parse_file(path)
    assert source.startswith("//"), "every corpus program opens with a comment saying what it checks"
    if "only_comments" not in path.name:
        assert exp.stdout or exp.compile_errors or exp.runtime_error or exp.stderr or exp.exit_code, (
            "a corpus program must expect something observable"
        )
    assert path.name == path.name.lower() and " " not in path.name
