"""The interpreter loop: runs bytecode on the same NaN-boxed words and native heap objects as compiled code.

Lox calls between interpreted functions do not recurse on the Python stack:
each activation is a saved (code, ip, locals, stack) tuple on a Python list.
A call to a function that has compiled code jumps into it through ctypes;
compiled code calling an interpreted function arrives through that
function's entry slot, which points at a trampoline into :meth:`Interpreter.run`.
Every activation also pushes a record on the runtime's native frame stack,
so stack traces interleave both tiers correctly.
"""

from __future__ import annotations

import struct

from stage0_jit import values
from stage0_jit.values import ADDRESS_MASK, ERROR, FALSE, NIL, OBJ_TAG, QNAN, TRUE, UNDEFINED
from stage0_jit.errors import ErrorCode
from stage0_jit.frames import HEADER_WORDS, RECORD_WORDS, ROOTS
from stage0_jit.heap import Heap, OutOfMemory
from stage0_jit.layout import CELL, CLOSURE, FUNCTION, GLOBAL, HEADER_KIND_MASK, WORD, Kind

from .bytecode import Op

# Plain ints: comparing against an IntEnum member costs an attribute lookup per test.
OP_ADD = int(Op.ADD)
OP_CALL = int(Op.CALL)
OP_CLOSURE = int(Op.CLOSURE)
OP_CONSTANT = int(Op.CONSTANT)
OP_DEFINE_GLOBAL = int(Op.DEFINE_GLOBAL)
OP_DIVIDE = int(Op.DIVIDE)
OP_EQUAL = int(Op.EQUAL)
OP_FALSE = int(Op.FALSE)
OP_GET_CELL = int(Op.GET_CELL)
OP_GET_GLOBAL = int(Op.GET_GLOBAL)
OP_GET_LOCAL = int(Op.GET_LOCAL)
OP_GET_PROPERTY = int(Op.GET_PROPERTY)
OP_INVOKE = int(Op.INVOKE)
OP_GET_UPVALUE = int(Op.GET_UPVALUE)
OP_GREATER = int(Op.GREATER)
OP_GREATER_EQUAL = int(Op.GREATER_EQUAL)
OP_JUMP = int(Op.JUMP)
OP_JUMP_IF_FALSE = int(Op.JUMP_IF_FALSE)
OP_LESS = int(Op.LESS)
OP_LESS_EQUAL = int(Op.LESS_EQUAL)
OP_LOOP = int(Op.LOOP)
OP_MAKE_CELL = int(Op.MAKE_CELL)
OP_MULTIPLY = int(Op.MULTIPLY)
OP_NEGATE = int(Op.NEGATE)
OP_NIL = int(Op.NIL)
OP_NOT = int(Op.NOT)
OP_NOT_EQUAL = int(Op.NOT_EQUAL)
OP_POP = int(Op.POP)
OP_PRINT = int(Op.PRINT)
OP_RETURN = int(Op.RETURN)
OP_SET_CELL = int(Op.SET_CELL)
OP_SET_GLOBAL = int(Op.SET_GLOBAL)
OP_SET_LOCAL = int(Op.SET_LOCAL)
OP_SET_PROPERTY = int(Op.SET_PROPERTY)
OP_SET_UPVALUE = int(Op.SET_UPVALUE)
OP_SUBTRACT = int(Op.SUBTRACT)
OP_TRUE = int(Op.TRUE)
OP_CLASS = int(Op.CLASS)
OP_SUPER_INVOKE = int(Op.SUPER_INVOKE)

#: "This call has no receiver": slot 0 holds the closure itself (a Lox value is never negative).
NO_RECEIVER = -1
#: What ``ObjectModel.resolve`` returns as the callee when the call is already done (a class without init).
NO_CALL = -2

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .functions import FunctionRecord
    from .vm import TieredVM

#: An activation resumed mid-function: slots, operand stack, next instruction, frame-record index.
Activation = tuple[list[int], list[int], int, int]

_DOUBLE = struct.Struct("<d")
_WORD = struct.Struct("<Q")
_to_float = _DOUBLE.unpack
_from_word = _WORD.pack
_to_word = _WORD.unpack
_from_float = _DOUBLE.pack


_CLOSURE_FUNCTION = CLOSURE.index("function")
_CLOSURE_TAIL = CLOSURE.tail_offset // WORD
_FUNCTION_ID = FUNCTION.index("id")
_FUNCTION_ARITY = FUNCTION.index("arity")
_CELL_VALUE = CELL.index("value")
_GLOBAL_VALUE = GLOBAL.index("value")
CARD_SHIFT = Heap.CARD_SHIFT


if TYPE_CHECKING:   # the hooks' interfaces, for the type checker only (typing is not imported at run time)
    from typing import Protocol

    class FeedbackHook(Protocol):
        """What the interpreter reports when a later stage collects type feedback (stage 1 passes None)."""

        def binary(self, record: "FunctionRecord", offset: int, a: int, b: int) -> None:
            """Operands of an arithmetic, comparison or equality instruction."""

        def unary(self, record: "FunctionRecord", offset: int, a: int) -> None:
            """Operand of a negation."""

        def call(self, record: "FunctionRecord", offset: int, callee: int) -> None:
            """The value called by a CALL instruction."""

        def global_read(self, record: "FunctionRecord", offset: int, value: int) -> None:
            """The value a GET_GLOBAL read."""


    class ObjectModel(Protocol):
        """What the interpreter asks a stage with classes (stage 4) to do; None before that."""

        def get_property(self, record: "FunctionRecord", offset: int, obj: int, name: int, line: int) -> int:
            """``obj.name`` (``name``: an index in the chunk's names); raises Unwind after recording an error."""

        def set_property(self, record: "FunctionRecord", offset: int, obj: int, name: int, value: int,
                         line: int) -> None:
            """``obj.name = value``."""

        def invoke(self, record: "FunctionRecord", offset: int, op: int, operand: int, stack: list[int],
                   line: int) -> tuple[int, int]:
            """INVOKE / SUPER_INVOKE (SUPER_INVOKE pops the superclass): the (callee, receiver) to call
            (receiver NO_RECEIVER when the callee is a field's value, called like any value)."""

        def resolve(self, callee: int, receiver: int, argc: int, line: int) -> tuple[int, int]:
            """A call of something that is not a closure: a bound method or a class becomes (method, receiver)
            or (initializer, new instance); (NO_CALL, instance) for a class without init; anything else is
            returned unchanged (the runtime's slow call reports it)."""

        def class_op(self, record: "FunctionRecord", offset: int, op: int, operand: int, stack: list[int],
                     line: int) -> None:
            """CLASS, INHERIT, METHOD, GET_SUPER, on the operand stack."""


    class OSRHook(Protocol):
        """What the interpreter calls at a hot loop's back-edge when a later stage can enter compiled code there."""

        def __call__(self, record: "FunctionRecord", closure_address: int, header: int, slots: list[int],
                     stack: list[int], depth: int) -> int | None:
            """Run the rest of the activation in compiled code from loop header ``header``: returns its result
            (or ERROR), or None to go on interpreting."""


class Unwind(Exception):
    """A runtime error was recorded; leave this interpreter activation (and its callers)."""


class Interpreter:
    """Runs interpreted activations; one instance per VM."""

    def __init__(self, vm: "TieredVM") -> None:
        self.vm = vm
        self.runtime = vm.runtime

    def fail(self, code: ErrorCode, line: int, a: int = 0, b: int = 0) -> Unwind:
        """Record a runtime error now (trace taken from the frame stack) and return the exception to raise."""
        self.runtime.raise_error(code, line, a, b)
        return Unwind()

    def run(self, closure: int, args: list[int], receiver: int = -1) -> int:
        """Run one call of ``closure`` (and every interpreted call it makes); returns its result or ERROR.
        A method call passes its ``receiver``, which becomes slot 0 (``this``)."""
        return self._guarded(closure, args, receiver, None, self.runtime.frames.depth)

    def resume(self, closure: int, slots: list[int], stack: list[int], ip: int, depth: int) -> int:
        """Continue an activation mid-function (stage 3's deoptimisation): its frame record is already at
        index ``depth``; it resumes at instruction ``ip`` with these slots and operand stack, runs to its
        end and returns its result or ERROR (the record is popped either way)."""
        # The record was a compiled frame's: it keeps no root area now (the activation's lists are roots).
        self.runtime.frames.words[HEADER_WORDS + RECORD_WORDS * depth + ROOTS] = 0
        return self._guarded(closure, [], NO_RECEIVER, (slots, stack, ip, depth), depth)

    def _guarded(self, closure: int, args: list[int], receiver: int, resumed: Activation | None,
                 entry_depth: int) -> int:
        """Run the loop; a runtime error unwinds the frame stack to ``entry_depth`` and returns ERROR."""
        frames = self.runtime.frames
        try:
            return self._loop(closure, args, receiver, resumed)
        except Unwind:
            frames.depth = entry_depth
            return ERROR
        except RecursionError:
            self.runtime.raise_error(ErrorCode.STACK_OVERFLOW, -1)
            frames.depth = entry_depth
            return ERROR

    def _loop(self, closure: int, args: list[int], receiver: int,   # noqa: C901 - one loop, on purpose
              resumed: Activation | None) -> int:
        vm = self.vm
        runtime = self.runtime
        heap = runtime.heap
        W = heap.words
        HB = heap.base
        C = heap.cards                  # the card table: every store into an object marks its card
        F = heap.flags                  # F[SAFEPOINT] is nonzero when the program must stop: the collector
        SAFEPOINT = Heap.SAFEPOINT      # (stage 5) or a compile process with code for it (stage 6) asks
        frame_words = runtime.frames.words
        capacity = runtime.frames.capacity
        records = vm.records
        threshold = vm.settings.threshold
        tiering = vm.tiering_enabled
        recorder = vm.feedback          # None unless a later stage collects type feedback
        osr = vm.osr                    # None unless a later stage enters compiled code from hot loops
        objects = vm.objects            # None unless a later stage has classes and instances
        # Feedback starts once a function has run a little (calls + back-edges): most
        # functions run only a few times and would never use it (V8 allocates its
        # feedback vectors lazily for the same reason).
        feedback_after = vm.feedback_after

        # ---- enter the first activation
        def enter(closure: int, args: list[int], receiver: int) -> tuple["FunctionRecord", list[int], int]:
            depth = int(frame_words[0])
            if depth >= capacity:
                raise self.fail(ErrorCode.STACK_OVERFLOW, -1)
            function = W[((closure & ADDRESS_MASK) - HB >> 3) + _CLOSURE_FUNCTION]
            record = records[W[(function - HB >> 3) + _FUNCTION_ID]]
            # Slot 0 is the closure, or a method's receiver (``this``).
            slots = [closure if receiver == NO_RECEIVER else receiver, *args]
            if record.extra_slots:
                slots.extend([NIL] * record.extra_slots)
            base = HEADER_WORDS + RECORD_WORDS * depth
            frame_words[base] = closure
            frame_words[base + 1] = record.code.line
            frame_words[base + ROOTS] = 0
            frame_words[0] = depth + 1
            return record, slots, depth

        def feedback_for(record: "FunctionRecord") -> FeedbackHook | None:
            return recorder if record.compilable and record.calls + record.back_edges >= feedback_after else None

        stack: list[int]
        if resumed is None:
            record, slots, depth = enter(closure, args, receiver)
            stack = []
            ip = 0
        else:
            slots, stack, ip, depth = resumed
            function = W[((closure & ADDRESS_MASK) - HB >> 3) + _CLOSURE_FUNCTION]
            record = records[W[(function - HB >> 3) + _FUNCTION_ID]]
        feedback = feedback_for(record)
        ops, operands, lines, constants, cells = record.loop_lists
        saved: list[tuple["FunctionRecord", list[int], list[int], int, int, int]] = []
        closure_address = closure & ADDRESS_MASK
        push = stack.append
        pop = stack.pop
        # This loop's activations, reachable by the VM (stage 5's collector reads them as roots): the
        # running one's slots and stack, and the callers it saved. Kept current at every call and return.
        holder: list[object] = [slots, stack, saved]
        activations = vm.activations
        activations.append(holder)

        try:
            while True:
                op = ops[ip]
                arg = operands[ip]
                ip += 1
                if op == OP_GET_LOCAL:
                    push(slots[arg])
                elif op == OP_CONSTANT:
                    push(constants[arg])
                elif op == OP_POP:
                    pop()
                elif op == OP_SET_LOCAL:
                    slots[arg] = stack[-1]
                elif op == OP_GET_PROPERTY:
                    # Early in the chain: object-oriented code reads fields as often as locals.
                    if objects is None:
                        raise self.fail(ErrorCode.NO_PROPERTIES, lines[ip - 1])
                    stack[-1] = objects.get_property(record, ip - 1, stack[-1], arg, lines[ip - 1])
                elif op == OP_SET_PROPERTY:
                    if objects is None:
                        raise self.fail(ErrorCode.NO_FIELDS, lines[ip - 1])
                    value = pop()
                    objects.set_property(record, ip - 1, stack[-1], arg, value, lines[ip - 1])
                    stack[-1] = value
                elif op == OP_GET_GLOBAL:
                    value = W[(cells[arg] - HB >> 3) + _GLOBAL_VALUE]
                    if value == UNDEFINED:
                        raise self.fail(ErrorCode.UNDEFINED_VARIABLE, lines[ip - 1], cells[arg])
                    if feedback is not None:
                        feedback.global_read(record, ip - 1, value)
                    push(value)
                elif op == OP_ADD or op == OP_SUBTRACT or op == OP_MULTIPLY or op == OP_DIVIDE:
                    b = pop()
                    a = stack[-1]
                    if feedback is not None:
                        feedback.binary(record, ip - 1, a, b)
                    if (a & QNAN) != QNAN and (b & QNAN) != QNAN:
                        x = _to_float(_from_word(a))[0]
                        y = _to_float(_from_word(b))[0]
                        if op == OP_ADD:
                            r = x + y
                        elif op == OP_SUBTRACT:
                            r = x - y
                        elif op == OP_MULTIPLY:
                            r = x * y
                        elif y != 0.0:
                            r = x / y
                        else:
                            r = _ieee_divide_by_zero(x, y)
                        stack[-1] = _to_word(_from_float(r))[0]
                    elif op == OP_ADD:
                        stack[-1] = self.add_other(a, b, lines[ip - 1])
                    else:
                        raise self.fail(ErrorCode.OPERANDS_MUST_BE_NUMBERS, lines[ip - 1])
                elif op == OP_LESS or op == OP_GREATER or op == OP_LESS_EQUAL or op == OP_GREATER_EQUAL:
                    b = pop()
                    a = stack[-1]
                    if feedback is not None:
                        feedback.binary(record, ip - 1, a, b)
                    if (a & QNAN) == QNAN or (b & QNAN) == QNAN:
                        raise self.fail(ErrorCode.OPERANDS_MUST_BE_NUMBERS, lines[ip - 1])
                    x = _to_float(_from_word(a))[0]
                    y = _to_float(_from_word(b))[0]
                    if op == OP_LESS:
                        truth = x < y
                    elif op == OP_GREATER:
                        truth = x > y
                    elif op == OP_LESS_EQUAL:
                        truth = not x > y      # clox: !(a > b), so NaN compares true
                    else:
                        truth = not x < y
                    stack[-1] = TRUE if truth else FALSE
                elif op == OP_JUMP_IF_FALSE:
                    top = stack[-1]
                    if top == FALSE or top == NIL:
                        ip = arg
                elif op == OP_JUMP:
                    ip = arg
                elif op == OP_LOOP:
                    ip = arg
                    if F[SAFEPOINT]:
                        vm.safepoint()
                    if tiering and record.compilable:
                        record.back_edges += 1
                        if feedback is None and record.back_edges == feedback_after:
                            feedback = feedback_for(record)     # a long-running activation starts recording
                        if record.back_edges + record.calls >= threshold:
                            if record.state == record.INTERPRETED:
                                vm.tiering.hot(record, "loop")
                            if osr is not None:
                                # Stage 3: the loop is hot; compiled code may take this activation over
                                # from the loop header and run it to its end (on-stack replacement).
                                result = osr(record, closure_address, ip, slots, stack, depth)
                                if result is not None:
                                    if result == ERROR:
                                        raise Unwind()
                                    # The compiled code ran the activation to its end: return its result
                                    # through the function's last instruction (always RETURN).
                                    push(result)
                                    ip = len(ops) - 1
                elif op == OP_CALL or op == OP_INVOKE or op == OP_SUPER_INVOKE:
                    line = lines[ip - 1]
                    if F[SAFEPOINT]:
                        vm.safepoint()
                    frame_words[HEADER_WORDS + RECORD_WORDS * depth + 1] = line
                    receiver = NO_RECEIVER
                    if op == OP_CALL:
                        argc = arg
                        callee = stack[-1 - argc]
                        if feedback is not None:
                            feedback.call(record, ip - 1, callee)
                    elif objects is None:
                        raise self.fail(ErrorCode.NO_METHODS, line)
                    else:
                        # Stage 4: find the method (or the field holding a callable) of the receiver.
                        argc = arg & 0xFF
                        callee, receiver = objects.invoke(record, ip - 1, op, arg, stack, line)
                    if objects is not None and not ((callee & OBJ_TAG) == OBJ_TAG and
                                                    W[(callee & ADDRESS_MASK) - HB >> 3] & HEADER_KIND_MASK
                                                    == Kind.CLOSURE):
                        # Stage 4: a bound method or a class becomes a call of a method on a receiver.
                        callee, receiver = objects.resolve(callee, receiver, argc, line)
                        if callee == NO_CALL:            # a class without init: the new instance is the result
                            del stack[len(stack) - argc - 1:]
                            push(receiver)
                            continue
                    if (callee & OBJ_TAG) == OBJ_TAG and \
                            W[(callee & ADDRESS_MASK) - HB >> 3] & HEADER_KIND_MASK == Kind.CLOSURE:
                        function = W[((callee & ADDRESS_MASK) - HB >> 3) + _CLOSURE_FUNCTION]
                        callee_record = records[W[(function - HB >> 3) + _FUNCTION_ID]]
                        if callee_record.code.arity != argc:
                            raise self.fail(ErrorCode.WRONG_ARITY, line, callee_record.code.arity, argc)
                        if tiering:
                            vm.tiering.count_call(callee_record)
                        call_args = stack[len(stack) - argc:]
                        del stack[len(stack) - argc - 1:]
                        if callee_record.native_entry is not None:
                            if receiver == NO_RECEIVER:
                                result = callee_record.native_entry(values.to_signed(callee),
                                                                    *[values.to_signed(v) for v in call_args])
                            else:
                                result = callee_record.native_entry(values.to_signed(callee), values.to_signed(receiver),
                                                                    *[values.to_signed(v) for v in call_args])
                            result &= 0xFFFF_FFFF_FFFF_FFFF
                            if result == ERROR:
                                raise Unwind()
                            push(result)
                            continue
                        # An interpreted call: save this activation, start the callee's.
                        saved.append((record, slots, stack, ip, depth, closure_address))
                        record, slots, depth = enter(callee, call_args, receiver)
                        feedback = feedback_for(record)
                        ops, operands, lines, constants, cells = record.loop_lists
                        closure_address = callee & ADDRESS_MASK
                        stack = []
                        holder[0] = slots
                        holder[1] = stack
                        push = stack.append
                        pop = stack.pop
                        ip = 0
                    else:
                        call_args = stack[len(stack) - argc:]
                        del stack[len(stack) - argc - 1:]
                        result = runtime.call_slow(callee, call_args, line)
                        if result == ERROR:
                            raise Unwind()
                        push(result)
                elif op == OP_RETURN:
                    result = pop()
                    frame_words[0] = depth
                    if not saved:
                        return result
                    record, slots, stack, ip, depth, closure_address = saved.pop()
                    holder[0] = slots
                    holder[1] = stack
                    feedback = feedback_for(record)
                    ops, operands, lines, constants, cells = record.loop_lists
                    push = stack.append
                    pop = stack.pop
                    push(result)
                elif op == OP_NIL:
                    push(NIL)
                elif op == OP_TRUE:
                    push(TRUE)
                elif op == OP_FALSE:
                    push(FALSE)
                elif op == OP_GET_CELL:
                    # A captured local's slot holds its cell as an object value (so every slot is a value).
                    push(W[((slots[arg] & ADDRESS_MASK) - HB >> 3) + _CELL_VALUE])
                elif op == OP_SET_CELL:
                    cell = slots[arg] & ADDRESS_MASK
                    W[(cell - HB >> 3) + _CELL_VALUE] = stack[-1]
                    C[cell - HB >> CARD_SHIFT] = 1
                elif op == OP_MAKE_CELL:
                    slots[arg] = OBJ_TAG | heap.new_cell(slots[arg])
                elif op == OP_GET_UPVALUE:
                    cell = W[(closure_address - HB >> 3) + _CLOSURE_TAIL + arg]
                    push(W[(cell - HB >> 3) + _CELL_VALUE])
                elif op == OP_SET_UPVALUE:
                    cell = W[(closure_address - HB >> 3) + _CLOSURE_TAIL + arg]
                    W[(cell - HB >> 3) + _CELL_VALUE] = stack[-1]
                    C[cell - HB >> CARD_SHIFT] = 1
                elif op == OP_SET_GLOBAL:
                    cell = cells[arg]
                    if W[(cell - HB >> 3) + _GLOBAL_VALUE] == UNDEFINED:
                        raise self.fail(ErrorCode.UNDEFINED_VARIABLE, lines[ip - 1], cell)
                    W[(cell - HB >> 3) + _GLOBAL_VALUE] = stack[-1]
                    C[cell - HB >> CARD_SHIFT] = 1
                elif op == OP_DEFINE_GLOBAL:
                    cell = cells[arg]
                    W[(cell - HB >> 3) + _GLOBAL_VALUE] = pop()
                    C[cell - HB >> CARD_SHIFT] = 1
                elif op == OP_EQUAL or op == OP_NOT_EQUAL:
                    b = pop()
                    if feedback is not None:
                        feedback.binary(record, ip - 1, stack[-1], b)
                    same = self.equal(stack[-1], b)
                    stack[-1] = TRUE if same == (op == OP_EQUAL) else FALSE
                elif op == OP_NOT:
                    top = stack[-1]
                    stack[-1] = TRUE if top == FALSE or top == NIL else FALSE
                elif op == OP_NEGATE:
                    top = stack[-1]
                    if feedback is not None:
                        feedback.unary(record, ip - 1, top)
                    if (top & QNAN) == QNAN:
                        raise self.fail(ErrorCode.OPERAND_MUST_BE_NUMBER, lines[ip - 1])
                    stack[-1] = top ^ values.SIGN_BIT
                elif op == OP_PRINT:
                    runtime.print_value(pop())
                elif op == OP_CLOSURE:
                    stack.append(self.make_closure(record, arg, slots, closure_address))
                elif objects is not None and op >= OP_CLASS:
                    # Stage 4's class declarations and super: CLASS, INHERIT, METHOD, GET_SUPER.
                    objects.class_op(record, ip - 1, op, arg, stack, lines[ip - 1])
                else:
                    raise AssertionError(f"unknown opcode {op}")
        except OutOfMemory:
            # Allocation failed in this activation: report it at the instruction's line.
            raise self.fail(ErrorCode.OUT_OF_MEMORY, lines[ip - 1]) from None
        finally:
            activations.pop()

    # ------------------------------------------------------------ slow paths
    def add_other(self, a: int, b: int, line: int) -> int:
        """``+`` on non-numbers: two strings concatenate, anything else is the error."""
        heap = self.runtime.heap
        if heap.is_kind(a, Kind.STRING) and heap.is_kind(b, Kind.STRING):
            return heap.new_string(heap.string_bytes(a & ADDRESS_MASK) + heap.string_bytes(b & ADDRESS_MASK))
        raise self.fail(ErrorCode.OPERANDS_MUST_BE_NUMBERS_OR_STRINGS, line)

    def equal(self, a: int, b: int) -> bool:
        """Lox ``==``: IEEE for numbers, content for strings, identity otherwise."""
        if (a & QNAN) != QNAN and (b & QNAN) != QNAN:
            return bool(_to_float(_from_word(a))[0] == _to_float(_from_word(b))[0])
        if a == b:
            return True
        heap = self.runtime.heap
        if heap.is_kind(a, Kind.STRING) and heap.is_kind(b, Kind.STRING):
            return heap.string_bytes(a & ADDRESS_MASK) == heap.string_bytes(b & ADDRESS_MASK)
        return False

    def make_closure(self, record: "FunctionRecord", index: int, slots: list[int], closure_address: int) -> int:
        """A closure of nested function ``index``, capturing cells from this frame or its closure."""
        heap = self.runtime.heap
        nested = record.code.functions[index]
        prototype = self.vm.record_for(nested).prototype
        cells = []
        for upvalue in nested.upvalues:
            if upvalue.is_local:
                cells.append(slots[upvalue.index] & ADDRESS_MASK)
            else:
                cells.append(heap.tail_word(closure_address, CLOSURE, upvalue.index))
        return heap.new_closure(prototype, cells)


def _ieee_divide_by_zero(x: float, y: float) -> float:
    """x / 0 as IEEE-754 says (Python raises instead): inf with the right sign, or nan."""
    if x != x or x == 0.0:
        return float("nan")
    negative = (x < 0) != (_to_word(_from_float(y))[0] >> 63 == 1)
    return float("-inf") if negative else float("inf")

