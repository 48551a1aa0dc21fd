"""What the VM knows of each function at run time: its bytecode, its counters, its tier."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .bytecode import FunctionCode


@dataclass(eq=False)
class FunctionRecord:
    """One function prototype: code, materialised constants, hotness counters and compiled entry."""

    INTERPRETED = "interpreted"
    QUEUED = "queued"
    COMPILED = "compiled"

    code: FunctionCode
    prototype: int                      # the FUNCTION object in the heap
    constants: list[int]                # the chunk's constants as Lox values
    global_cells: list[int]             # the chunk's global names as cell addresses
    calls: int = 0
    back_edges: int = 0
    state: str = INTERPRETED
    native_entry: Callable[..., int] | None = None    # compiled code, callable from Python
    compile_seconds: float = 0.0
    feedback: dict[int, Any] = field(default_factory=dict)   # by bytecode offset; filled by stage 2
    # Whether compiled code for it could ever run: the script runs once, and without
    # OSR (stage 3) its compiled code would never be entered, so it is not counted or profiled.
    compilable: bool = True
    # The script: it is never called again, so only an OSR entry (stage 3) could ever run compiled.
    runs_once: bool = False
    # What the interpreter loop reads for an activation, gathered once (a Lox call or return
    # switches to it with one attribute load): opcodes, operands, lines, constants, global cells.
    loop_lists: tuple[list[int], list[int], list[int], list[int], list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        chunk = self.code.chunk
        self.loop_lists = (chunk.ops, chunk.args, chunk.lines, self.constants, self.global_cells)

    @property
    def extra_slots(self) -> int:
        """Frame slots beyond the callee and the arguments (locals start as nil)."""
        return self.code.slot_count - 1 - self.code.arity

    @property
    def name(self) -> str:
        """The function's name as traces show it."""
        return "<script>" if self.code.name == "script" else self.code.name
