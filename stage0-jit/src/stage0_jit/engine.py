"""The JIT engine: ORC LLJIT plus the pipeline every module goes through (verify, optimise, emit, link).

Every module is verified before LLVM compiles it (bad IR reaching codegen can
abort the process), optimised with a fresh pass manager each time (re-running
one aborts), compiled to an object image once, and linked into LLJIT as a new
library with the runtime's callbacks imported by name. The resource trackers
are kept for the life of the engine: code is never freed while it may run.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import llvmlite.binding as llvm

from .errors import InternalCompilerError
from .irmodule import ModuleContext
from .runtime import Runtime
from .stats import Stats

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


class ObjectCompiler:
    """The target machines and the pipeline from IR text to an object image (verify, optimise, emit):
    everything but linking (stage 6's compile process uses only this part of the engine it inherits)."""

    def __init__(self, stats: Stats, dumps: frozenset[str] = frozenset(), dump_stream: TextIO | None = None,
                 opt_level: int = 2) -> None:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        target = llvm.Target.from_triple(llvm.get_process_triple())
        self.target_machine = target.create_target_machine(jit=True, opt=min(opt_level, 3))
        # Unoptimised code generation (fast instruction selection, fast register allocation).
        self.quick_target_machine = target.create_target_machine(jit=True, opt=0)
        self.stats = stats
        self.dumps = dumps
        self.dump_stream = dump_stream or sys.stderr
        self.opt_level = opt_level

    def dump(self, kind: str, title: str, text: Callable[[], str]) -> None:
        """Write one dump section to the dump stream if ``kind`` was asked for (text made only then)."""
        if kind in self.dumps:
            self.dump_stream.write(f"=== {kind}: {title} ===\n{text().rstrip()}\n")

    def optimise(self, module: llvm.ModuleRef, level: int | None = None) -> None:
        """Run the optimiser (a fresh pass manager each run: re-running one aborts the process).

        Level 1 is a short hand-picked pipeline (inline what is marked
        ``alwaysinline``, promote allocas to registers, combine, simplify,
        value-number, clean up): a fraction of O2's time for most of its
        effect on this code. Level 2 and 3 are LLVM's own pipelines.
        """
        level = self.opt_level if level is None else level
        if level <= 0:
            return
        tuning = llvm.create_pipeline_tuning_options(speed_level=min(level, 3))
        builder = llvm.create_pass_builder(self.target_machine, tuning)
        if level == 1:
            manager = llvm.create_new_module_pass_manager()
            manager.add_always_inliner_pass()
            manager.add_sroa_pass()
            manager.add_instruction_combine_pass()
            manager.add_simplify_cfg_pass()
            manager.add_new_gvn_pass()
            manager.add_instruction_combine_pass()
            manager.add_dead_code_elimination_pass()
            manager.add_simplify_cfg_pass()
            manager.run(module, builder)
        else:
            builder.getModulePassManager().run(module, builder)

    def object_image(self, text: str, title: str, optimise: bool = True, level: int | None = None) -> bytes:
        """Parse, verify, optimise and compile a module's IR text to an object image (nothing linked)."""
        started = time.perf_counter()
        self.dump("ir", title, lambda: text)
        try:
            module = llvm.parse_assembly(text)
            module.verify()
        except RuntimeError as error:
            raise InternalCompilerError(f"LLVM rejected the generated IR for {title}: {error}") from None
        verified = time.perf_counter()
        target_machine = self.target_machine if optimise else self.quick_target_machine
        if optimise:
            self.optimise(module, level)
        else:
            self.stats.add("compile.unoptimised_modules")
        self.dump("opt-ir", title, lambda: str(module))
        self.dump("asm", title, lambda: str(target_machine.emit_assembly(module)))
        optimised = time.perf_counter()
        image: bytes = target_machine.emit_object(module)
        self.stats.add_time("compile.verify_s", verified - started)
        self.stats.add_time("compile.optimise_s", optimised - verified)
        self.stats.add_time("compile.codegen_link_s", time.perf_counter() - optimised)
        return image

    def machine_key(self) -> str:
        """What an object image compiled here depends on besides its IR: llvmlite's version and the target
        (triple, CPU, features), for a cache of images kept between runs."""
        import llvmlite
        return "|".join((llvmlite.__version__, llvm.get_process_triple(), llvm.get_host_cpu_name(),
                         llvm.get_host_cpu_features().flatten()))


class JitEngine(ObjectCompiler):
    """Owns the target machine and the LLJIT instance; compiles modules into callable code."""

    def __init__(self, runtime: Runtime, stats: Stats, dumps: frozenset[str] = frozenset(),
                 dump_stream: TextIO | None = None, opt_level: int = 2) -> None:
        super().__init__(stats, dumps, dump_stream, opt_level)
        self.lljit = llvm.create_lljit_compiler(self.target_machine)
        self.runtime = runtime
        self.trackers: list[llvm.ResourceTracker] = []
        self.libraries = 0
        self.shared: dict[str, int] = {}     # shared helpers compiled so far (see ModuleContext.shared_helper)

    def new_module(self) -> ModuleContext:
        """A fresh module set up for this target, with the runtime helpers in it."""
        return ModuleContext(self.runtime, llvm.get_process_triple(), str(self.target_machine.target_data),
                             self.shared)

    def compile(self, ctx: ModuleContext, exports: list[str], title: str, optimise: bool = True,
                level: int | None = None) -> dict[str, int]:
        """Verify, optimise (unless told not to; at ``level``, default the engine's) and link a module;
        returns each exported symbol's address."""
        started = time.perf_counter()
        image = self.object_image(str(ctx.module), title, optimise, level)
        addresses = self.link_module(ctx, image, exports, title)
        self.stats.add_time("compile.total_s", time.perf_counter() - started)
        return addresses

    def link_module(self, ctx: ModuleContext, image: bytes, exports: list[str], title: str) -> dict[str, int]:
        """Link the object image of ``ctx``'s module (compiled here or by a stage 6 compile process); its shared
        helpers become available to later modules. Returns each exported symbol's address."""
        return self.link_with_helpers(image, exports, ctx.defines, ctx.imports, title)

    def link_with_helpers(self, image: bytes, exports: list[str], defines: list[str], imports: dict[str, int],
                          title: str) -> dict[str, int]:
        """``link_module`` given what the module's context knew: the shared helpers it defines (exported
        for later modules) and those it imports (by address)."""
        addresses = self.link_image(image, [*exports, *defines], title, imports)
        for name in defines:
            self.shared[name] = addresses[name]
        self.stats.add("compile.functions", len(exports))
        return {name: addresses[name] for name in exports}

    def link_image(self, image: bytes, exports: list[str], title: str,
                   imports: dict[str, int] | None = None) -> dict[str, int]:
        """Link an object image into LLJIT as a new library, the runtime's callbacks (and ``imports``)
        resolved by name; returns each exported symbol's address."""
        started = time.perf_counter()
        builder = llvm.JITLibraryBuilder().add_object_img(image)
        for name, address in self.runtime.callbacks.addresses().items():
            builder.import_symbol(name, address)
        for name, address in (imports or {}).items():
            builder.import_symbol(name, address)
        for name in exports:
            builder.export_symbol(name)
        self.libraries += 1
        tracker = builder.link(self.lljit, f"lox_library_{self.libraries}")
        self.trackers.append(tracker)
        self.stats.add("compile.modules", 1)
        self.stats.add_time("compile.codegen_link_s", time.perf_counter() - started)
        return {name: tracker[name] for name in exports}
