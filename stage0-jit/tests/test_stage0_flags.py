"""The flag table every stage's command line is built from: accepted forms, errors, usage and help."""

from __future__ import annotations

import pytest

from stage0_jit.flags import Flag, FlagTable, UsageError


def table() -> FlagTable:
    """A table with one flag of each sort."""
    t = FlagTable("prog", "Does things.", "Exit 0.", positional=("file", "the input"))
    t.add(Flag("--dump", "what to dump", metavar="KINDS"))
    t.add(Flag("--stats", "print counters", switch=True))
    t.add(Flag("--set", "override", metavar="NAME=VALUE", repeat=True))
    t.add(Flag("--mode", "how", choices=("fast", "slow")))
    t.add(Flag("--limit", "how many", metavar="N", convert=int))
    return t


def test_absent_flags_have_empty_values() -> None:
    args = table().parse([])
    assert (args.dump, args.stats, args.set, args.mode, args.limit, args.file, args.help) == \
        (None, False, [], None, None, None, False)


@pytest.mark.parametrize("argv", [["--dump=ir", "x.lox"], ["--dump", "ir", "x.lox"], ["x.lox", "--dump", "ir"]])
def test_value_forms(argv: list[str]) -> None:
    args = table().parse(argv)
    assert args.dump == "ir" and args.file == "x.lox"


def test_switch_repeat_choice_and_conversion() -> None:
    args = table().parse(["--stats", "--set", "a=1", "--set=b=2", "--mode=slow", "--limit", "7"])
    assert args.stats is True
    assert args.set == ["a=1", "b=2"]
    assert args.mode == "slow"
    assert args.limit == 7


def test_double_dash_ends_the_flags() -> None:
    assert table().parse(["--", "--weird-name.lox"]).file == "--weird-name.lox"


@pytest.mark.parametrize("argv", [["-h"], ["--help"], ["x.lox", "--help"]])
def test_help_is_reported_not_printed(argv: list[str]) -> None:
    assert table().parse(argv).help is True


@pytest.mark.parametrize("argv, message", [
    (["--nope"], "unrecognized arguments: --nope"),
    (["a.lox", "b.lox"], "unrecognized arguments: b.lox"),
    (["--dump"], "argument --dump: expected one argument"),
    (["--mode=medium"], "argument --mode: invalid choice: 'medium' (choose from fast, slow)"),
    (["--limit=many"], "argument --limit: invalid value: 'many'"),
    (["--stats=yes"], "argument --stats: ignored explicit argument 'yes'"),
])
def test_usage_errors(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError) as error:
        table().parse(argv)
    assert str(error.value) == message


def test_a_flag_cannot_be_defined_twice() -> None:
    t = table()
    with pytest.raises(AssertionError):
        t.add(Flag("--dump", "again"))


def test_usage_lists_every_flag_within_80_columns() -> None:
    t = table()
    for i in range(12):
        t.add(Flag(f"--extra-flag-{i}", "more", metavar="VALUE"))
    usage = t.usage()
    assert usage.startswith("usage: prog [-h] [--dump KINDS] [--stats]")
    assert all(len(line) <= 80 for line in usage.splitlines())
    assert "[--mode {fast,slow}]" in usage and "[--extra-flag-11 VALUE]" in usage
    assert usage.rstrip().endswith("[file]")


def test_help_has_every_flag_its_help_and_the_epilog() -> None:
    text = table().help()
    for piece in ("usage: prog", "Does things.", "the input", "-h, --help", "--dump KINDS", "what to dump",
                  "--stats", "--set NAME=VALUE", "--mode {fast,slow}", "--limit N", "how many", "Exit 0."):
        assert piece in text, piece
