"""Shared fixtures: a fake Lox VM module that prints canned output, so the runner is tested end to end."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

FAKE_VM = textwrap.dedent(
    '''
    """A fake Lox VM: it obeys `// fake-...` comments in the program instead of running it."""
    import sys
    import time

    def main() -> None:
        flags = [a for a in sys.argv[1:-1]]
        source = open(sys.argv[-1], encoding="utf-8").read()
        code = 0
        for line in source.splitlines():
            if "// fake-" not in line:
                continue
            directive = line.split("// fake-", 1)[1]
            key, _, value = directive.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "stdout":
                sys.stdout.write(value + "\\n")
            elif key == "stdout-raw":
                sys.stdout.write(value)
            elif key == "stderr":
                sys.stderr.write(value + "\\n")
            elif key == "exit":
                code = int(value)
            elif key == "echo-stdin":
                sys.stdout.write(sys.stdin.read())
            elif key == "echo-flags":
                sys.stdout.write(" ".join(flags) + "\\n")
            elif key == "sleep":
                time.sleep(float(value))
        sys.stdout.flush()
        sys.exit(code)

    main()
    '''
)


@pytest.fixture
def fake_vm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Install the fake VM as an importable module and return its name."""
    vm_dir = tmp_path / "fakevm_pkg"
    vm_dir.mkdir()
    (vm_dir / "fakevm.py").write_text(FAKE_VM, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(vm_dir))
    return "fakevm"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """An empty corpus directory `tests/` with a `core/` group."""
    root = tmp_path / "repo" / "tests"
    (root / "core").mkdir(parents=True)
    return root
