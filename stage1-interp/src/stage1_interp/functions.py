"""What the VM knows of each function at run time: its bytecode, its counters, its tier."""

from __future__ import annotations

from .bytecode import FunctionCode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
    from collections.abc import Callable


class FunctionRecord:
    """One function prototype: code, materialised constants, hotness counters and compiled entry."""

    INTERPRETED = "interpreted"
    QUEUED = "queued"
    COMPILED = "compiled"

    def __init__(self, code: FunctionCode, prototype: int, constants: list[int], global_cells: list[int],
                 compilable: bool = True, runs_once: bool = False) -> None:
        self.code = code
        self.prototype = prototype              # the FUNCTION object in the heap
        self.constants = constants              # the chunk's constants as Lox values
        self.global_cells = global_cells        # the chunk's global names as cell addresses
        self.calls = 0
        self.back_edges = 0
        self.state = self.INTERPRETED
        self.native_entry: Callable[..., int] | None = None    # compiled code, callable from Python
        self.compile_seconds = 0.0
        self.feedback: dict[int, Any] = {}      # by bytecode offset; filled by stage 2
        # Whether compiled code for it could ever run: the script runs once, and without
        # OSR (stage 3) its compiled code would never be entered, so it is not counted or profiled.
        self.compilable = compilable
        # The script: it is never called again, so only an OSR entry (stage 3) could ever run compiled.
        self.runs_once = runs_once
        # What the interpreter loop reads for an activation, gathered once (a Lox call or return
        # switches to it with one attribute load): opcodes, operands, lines, constants, global cells.
        chunk = code.chunk
        self.loop_lists = (chunk.ops, chunk.args, chunk.lines, constants, global_cells)

    def __repr__(self) -> str:
        return f"<FunctionRecord {self.code.name} {self.state}>"

    @property
    def extra_slots(self) -> int:
        """Frame slots beyond the callee and the arguments (locals start as nil)."""
        return self.code.slot_count - 1 - self.code.arity

    @property
    def name(self) -> str:
        """The function's name as traces show it."""
        return "<script>" if self.code.name == "script" else self.code.name
