"""Stage 2's tunables: stage 1's plus the polymorphism limit and the IC switch."""

from __future__ import annotations

from stage1_interp.settings import Settings as Stage1Settings


class Settings(Stage1Settings):
    """Stage 2 settings."""

    polymorphism_limit: int = 4
    feedback_after: int = 64
    ic: bool = True
    inline_recursion: bool = True
    inline_recursion_limit: int = 250
    observe_arguments: bool = False

    WHY: dict[str, str] = {
        "polymorphism_limit":
            "cases a site may cache before it goes megamorphic: a chain of up to 4 guards is "
            "still cheaper than the generic path; past that the chain costs more than it saves",
        "feedback_after":
            "calls + loop back-edges before a function records feedback: most functions run "
            "only a few times, and recording from Python costs microseconds per instruction; "
            "a function compiled as warm (a quarter of the threshold) still has about 190 runs "
            "of recording behind it (measured: many_functions' timed section 0.090 s at 64, "
            "0.101 s at 8, stage 1 0.088 s)",
        "ic":
            "compiled code specialises on feedback; --ic=off compiles generic code (stage 1's)",
        "inline_recursion":
            "a known self-call (fib(n - 1) inside fib) calls an always-inlined copy of the "
            "function whose own self-calls call the real one: LLVM never inlines a function into "
            "itself, and one level of unrolling halves the calls a recursive function makes",
        "inline_recursion_limit":
            "bytecode instructions of the largest function inlined into itself: a call saved "
            "matters less in a bigger body, and the copy doubles the function's compile time",
        "observe_arguments":
            "stage 0's per-call integer counting is superseded by the interpreter's feedback",
    }

    def validate(self) -> None:
        """Stage 1's checks plus the IC limits."""
        super().validate()
        if self.feedback_after < 0:
            raise ValueError("feedback_after must be at least 0")
        if self.inline_recursion_limit < 0:
            raise ValueError("inline_recursion_limit must be at least 0")
        if self.polymorphism_limit < 1:
            raise ValueError("polymorphism_limit must be at least 1")
