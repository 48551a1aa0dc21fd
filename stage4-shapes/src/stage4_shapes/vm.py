"""Stage 4's VM: stage 3 plus the whole language (classes), hidden classes and shape-keyed inline caches.

Hooks it plugs into: ``VM.allow_classes`` and ``TieredVM.compile_bytecode``
(the front end and bytecode compiler take classes), ``VM.make_runtime``
(``runtime.ObjectRuntime``: printing and calling classes, compiled code's
object callbacks), ``TieredVM.objects`` (the interpreter's object model,
``model.ObjectModel``), ``TieredVM.operations`` (emitters for the object
opcodes) and the feedback recorder (call sites learn which class they
instantiate).
"""

from __future__ import annotations

from collections.abc import Hashable

from lox_frontend import nodes
from stage0_jit.runtime import Runtime
from stage0_jit.values import ADDRESS_MASK
from stage0_jit.vm import Options
from stage1_interp.bytecode import FunctionCode, Op
from stage1_interp.functions import FunctionRecord
from stage1_interp.vm import TieredOptions
from stage2_ic.feedback import FeedbackRecorder, InlineCache
from stage3_deopt.vm import DeoptVM

from .caches import ClassTarget, FieldHit, MethodHit, ShapeCache, StoreHit, SuperHit
from .compiler import compile_script
from .model import CLASS_KIND, ObjectModel
from .objects import ObjectKind
from .runtime import ObjectRuntime
from .settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from stage0_jit.emitters import Operations
    from stage0_jit.irmodule import ModuleContext
    from stage3_deopt.analysis import Entry, SitePlan, StackTypes


class ShapesOptions(TieredOptions):
    """Stage 3's options plus where to write the shape picture (``--shapes-dot``)."""

    def __init__(self, shapes_dot: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.shapes_dot = shapes_dot


class ShapesRecorder(FeedbackRecorder):
    """Stage 2's recorder; a call site that calls a class records which class (and so which ``init``)."""

    def __init__(self, vm: "ShapesVM") -> None:
        super().__init__(vm)
        self.shapes_vm = vm

    def limit_for(self, cache: InlineCache) -> int:
        """Shape caches may hold ``shape_polymorphism_limit`` shapes; type caches stage 2's limit."""
        return self.shapes_vm.settings.shape_polymorphism_limit if isinstance(cache, ShapeCache) else self.limit

    def call(self, record: FunctionRecord, offset: int, callee: int) -> None:
        """Classes are call targets too (a cached class call allocates inline and calls ``init`` directly)."""
        model = self.shapes_vm.objects
        if model.kind(callee) != CLASS_KIND:
            super().call(record, offset, callee)
            return
        cache = self.cache(record, offset)
        if cache.last_value == callee:
            cache.seen_again()
            return
        cache.last_value = callee
        target = model.class_target(callee)
        assert target is not None
        self.note(cache, target)


def _assigned_value_stays(operand: int, stack: list[Entry]) -> None:
    """SET_PROPERTY: pops the value and the object, pushes the value."""
    value = stack.pop()
    stack[-1] = (value[0], -1)


class ShapesVM(DeoptVM):
    """The whole of Lox, with shapes and shape-keyed caches in every tier."""

    allow_classes = True

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        assert isinstance(self.settings, Settings)
        self.settings: Settings = self.settings
        self.objects: ObjectModel = ObjectModel(self)      # the interpreter's object model hook
        runtime = self.runtime
        assert isinstance(runtime, ObjectRuntime)
        runtime.objects = self.objects
        self.feedback = ShapesRecorder(self)

    def make_runtime(self) -> Runtime:
        """The runtime with classes."""
        return ObjectRuntime(self.settings)

    def compile_bytecode(self, script: nodes.Function) -> FunctionCode:
        """The bytecode compiler that knows classes."""
        return compile_script(script)

    def operations(self, ctx: "ModuleContext") -> "Operations":
        """Shape-cached emitters (speculating unless ``--deopt=off``), or generic ones under ``--ic=off``."""
        from .emitters import GenericObjectOperations, ShapedOperations
        if not self.settings.ic:
            return GenericObjectOperations(ctx)
        return ShapedOperations(ctx, self)

    def opcode_types(self) -> dict[int, StackTypes]:
        """The class opcodes, for stage 3's type analysis: all but one pop and push what the opcode table
        says, with results of unknown type; ``obj.name = value`` leaves the value, whose type is known."""
        return {Op.SET_PROPERTY: _assigned_value_stays}

    def opcode_plans(self) -> "dict[int, SitePlan]":
        """How the object opcodes' sites (and calls of classes) are compiled: ``plans.py``."""
        from .plans import ObjectSitePlans
        return ObjectSitePlans(self.runtime.heap).table()

    def describe_value(self, value: int) -> str:
        """For the deopt explainer: ``an instance of shape #3 Point{x,y}``, ``class Point``, or as stage 3 says
        (``<fn f>``, the value's type)."""
        model = self.objects
        kind = model.kind(value)
        if kind == ObjectKind.INSTANCE:
            shape = model.shape_of(value & ADDRESS_MASK)
            return f"an instance of shape #{shape.id} {shape.describe()}"
        if kind == ObjectKind.CLASS:
            return f"class {model.class_of(value).name}"
        return super().describe_value(value)

    def show_case(self, case: Hashable) -> str:
        """For the deopt explainer and ``--dump=deopt``: a shape cache's case shows its shape, or its class
        (``Point{x}: method area``, ``class Point``); a ``super`` case names the superclass it was cached for."""
        if isinstance(case, SuperHit):
            return f"class {self.objects.class_of(case.superclass).name}: {case}"
        if isinstance(case, (FieldHit, MethodHit, StoreHit, ClassTarget)):
            return str(case)
        return super().show_case(case)

    def finish(self) -> None:
        """Stage 3's report plus shapes and shape-cache states."""
        if self.options.stats:
            table = self.objects.shapes
            self.stats.add("shapes.total", table.shapes_made)
            self.stats.add("shapes.transitions", table.transitions_made)
            self.stats.add("shapes.dictionary_instances", table.dictionary_instances)
            self.stats.add("classes.total", self.objects.classes_made)
            caches = [c for c in self.caches() if isinstance(c, ShapeCache)]
            for cache in caches:
                self.stats.add(f"ic.shape.{cache.state.value}")
        if "shapes" in self.options.dumps:
            from .dump import text
            self.options.diagnostics.write(text(self))
        path = getattr(self.options, "shapes_dot", None)
        if path:
            from .dump import write_dot
            self.trace("shapes", f"wrote {write_dot(self, path)}")
        super().finish()


