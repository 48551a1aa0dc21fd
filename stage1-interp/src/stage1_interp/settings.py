"""Stage 1's tunables: stage 0's plus the tiering threshold and the JIT mode."""

from __future__ import annotations

from stage0_jit.settings import Settings as Stage0Settings

JIT_MODES = ("off", "eager", "tiered")


class Settings(Stage0Settings):
    """Stage 1 settings."""

    threshold: int = 1000
    warm_fraction: float = 0.25
    jit: str = "tiered"
    trace_event_limit: int = 20_000

    WHY: dict[str, str] = {
        "threshold":
            "calls + loop back-edges before a function is compiled: compiling costs a few to "
            "tens of milliseconds, so a function must run long enough to pay that back; about "
            "1000 is where the interpreter's time for a small function exceeds its compile time",
        "warm_fraction":
            "when a function gets hot, functions already this fraction of the way to the "
            "threshold are compiled with it, in the same module: they are usually about to be "
            "hot too, a module's fixed cost is paid once, and their code is placed together "
            "(measured: calls.lox's six functions in six modules ran 1.3-1.7x slower than in one); "
            "0 turns it off",
        "jit":
            "off: interpreter only; eager: compile each function at its first call; "
            "tiered: interpret until hot",
        "trace_event_limit":
            "interpreter spans kept for --trace-file; a deep recursion would otherwise write "
            "millions of events (later ones are counted, not kept)",
    }

    def validate(self) -> None:
        """Stage 0's checks plus the threshold and the JIT mode."""
        super().validate()
        if self.threshold < 1:
            raise ValueError("threshold must be at least 1")
        if not 0.0 <= self.warm_fraction <= 1.0:
            raise ValueError("warm_fraction must be between 0 and 1")
        if self.jit not in JIT_MODES:
            raise ValueError(f"jit must be one of {', '.join(JIT_MODES)}")
