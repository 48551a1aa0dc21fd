"""Stage 3's tunables: stage 2's plus deoptimisation, its limits, stress mode and OSR."""

from __future__ import annotations

from stage2_ic.settings import Settings as Stage2Settings


class Settings(Stage2Settings):
    """Stage 3 settings."""

    threshold: int = 300
    feedback_after: int = 64
    deopt: bool = True
    deopt_stress: bool = False
    osr: bool = True
    site_deopt_limit: int = 2
    function_deopt_limit: int = 6

    WHY: dict[str, str] = {
        "threshold":
            "calls + loop back-edges before a function is compiled. Lower than stage 1-2's 1000: a "
            "guess made on thin feedback now costs one deopt and a recompile, not permanently "
            "generic code, so compiling sooner pays (measured on the benchmarks: 300 beat 1000 and "
            "500 on 8 of 9 warm-up-bound programs, e.g. the Lox interpreter's timed section 3.2 s -> "
            "2.5 s; a program of 300 functions called 3 times each paid 0.1 s more for one compile)",
        "feedback_after":
            "calls + loop back-edges before a function records feedback (stage 2's default): most "
            "functions run only a few times, and recording from Python costs microseconds per "
            "instruction. With the threshold at 300 a function compiled as warm (75 runs) has about "
            "11 runs of recording behind it; a site none of them reached gets the generic path (past "
            "the loop of an OSR entry, a 'no feedback yet' exit back to the interpreter)",
        "deopt":
            "a failed guard leaves compiled code for the interpreter, so code after a guard may take its "
            "case as proven (no generic path to merge with); off: stage 2's guard-and-generic code",
        "deopt_stress":
            "every guard fails the first time it is reached, so every deopt exit and side table runs "
            "(a testing mode: forced deopts discard nothing and count towards no limit)",
        "osr":
            "a hot loop's running activation jumps into compiled code at the loop header, so loops at "
            "the top level or in a function called once get compiled; off: stage 2's next-call rule",
        "site_deopt_limit":
            "deopts at one site after which it stops speculating (gets stage 2's guard and generic "
            "path): a site that failed twice with wider feedback each time is not settling",
        "function_deopt_limit":
            "deopts of one function after which it stops speculating altogether, so types that flip "
            "forever cost a bounded number of recompilations",
    }

    def validate(self) -> None:
        """Stage 2's checks plus the deopt limits."""
        super().validate()
        if self.site_deopt_limit < 1 or self.function_deopt_limit < 1:
            raise ValueError("site_deopt_limit and function_deopt_limit must be at least 1")
