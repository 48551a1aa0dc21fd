"""bytecode.py, compiler.py and disassembler.py: the opcode table, stack heights, and what programs compile to."""

from __future__ import annotations

import pytest

from lox_frontend import CompileErrors, parse
from lox_testing import corpus_cases

from stage1_interp.bytecode import (OPCODES, Chunk, FunctionCode, Op, invoke_argc, invoke_name, invoke_operand,
                                    reachable_from, reaching, stack_depths, stack_effect, successors)
from stage1_interp.compiler import compile_script
from stage1_interp.disassembler import disassemble

OPERAND_KINDS = {"", "const", "slot", "cell", "upvalue", "name", "target", "argc", "function", "invoke"}


def compile_source(source: str) -> FunctionCode:
    return compile_script(parse(source))


def names(code: FunctionCode) -> list[str]:
    return [Op(op).name for op in code.chunk.ops]


def all_functions(code: FunctionCode) -> list[FunctionCode]:
    out = [code]
    for nested in code.functions:
        out.extend(all_functions(nested))
    return out


# ---------------------------------------------------------------- the opcode table
def test_table_covers_every_op_in_order() -> None:
    assert list(OPCODES) == list(Op)
    assert [int(op) for op in Op] == list(range(len(Op)))


@pytest.mark.parametrize("op", list(Op), ids=lambda op: op.name)
def test_table_rows_are_well_formed(op: Op) -> None:
    info = OPCODES[op]
    assert info.operand in OPERAND_KINDS
    assert info.doc
    assert info.pushes in (0, 1)
    assert info.pops >= 0 or op in (Op.CALL, Op.INVOKE, Op.SUPER_INVOKE)     # -1: the operand says how many
    if info.operand in ("target",):
        assert op in (Op.JUMP, Op.JUMP_IF_FALSE, Op.LOOP)


@pytest.mark.parametrize(("op", "arg", "effect"), [
    (Op.CONSTANT, 3, 1), (Op.NIL, 0, 1), (Op.POP, 0, -1), (Op.GET_LOCAL, 1, 1), (Op.SET_LOCAL, 1, 0),
    (Op.MAKE_CELL, 2, 0), (Op.GET_UPVALUE, 0, 1), (Op.SET_UPVALUE, 0, 0), (Op.DEFINE_GLOBAL, 0, -1),
    (Op.SET_GLOBAL, 0, 0), (Op.GET_PROPERTY, 0, 0), (Op.SET_PROPERTY, 0, -1), (Op.EQUAL, 0, -1),
    (Op.ADD, 0, -1), (Op.NOT, 0, 0), (Op.NEGATE, 0, 0), (Op.PRINT, 0, -1), (Op.JUMP, 9, 0),
    (Op.JUMP_IF_FALSE, 9, 0), (Op.LOOP, 0, 0), (Op.CALL, 0, 0), (Op.CALL, 3, -3), (Op.CALL, 255, -255),
    (Op.CLOSURE, 0, 1), (Op.RETURN, 0, -1), (Op.INVOKE, 5 * 256 + 0, 0), (Op.INVOKE, 7 * 256 + 2, -2),
    (Op.CLASS, 0, 1), (Op.INHERIT, 0, -1), (Op.METHOD, 0, -1), (Op.GET_SUPER, 0, -1),
    (Op.SUPER_INVOKE, 7 * 256 + 2, -3),
])
def test_stack_effect(op: Op, arg: int, effect: int) -> None:
    assert stack_effect(op, arg) == effect


def test_invoke_operand_packs_name_and_argument_count() -> None:
    for name_index, argc in ((0, 0), (3, 255), (1000, 7)):
        operand = invoke_operand(name_index, argc)
        assert (invoke_name(operand), invoke_argc(operand)) == (name_index, argc)


def test_chunk_emit_and_patch() -> None:
    chunk = Chunk()
    assert chunk.emit(Op.TRUE, 0, 1) == 0
    jump = chunk.emit(Op.JUMP_IF_FALSE, -1, 1)
    chunk.emit(Op.NOT, 0, 2)
    chunk.patch(jump, len(chunk))
    chunk.emit(Op.RETURN, 0, 3)
    assert len(chunk) == 4
    assert chunk.args[jump] == 3
    assert chunk.lines == [1, 1, 2, 3]
    assert successors(chunk, jump) == (2, 3)
    assert successors(chunk, 3) == ()
    assert stack_depths(chunk) == [0, 1, 1, 1]


def test_stack_depths_reject_inconsistent_code() -> None:
    chunk = Chunk()
    chunk.emit(Op.TRUE, 0, 1)            # 0: depth 0 -> 1
    chunk.emit(Op.JUMP_IF_FALSE, 3, 1)   # 1: both ways at depth 1
    chunk.emit(Op.NIL, 0, 1)             # 2: falls into 3 at depth 2
    chunk.emit(Op.RETURN, 0, 1)          # 3: reached at depth 1 and at depth 2
    with pytest.raises(AssertionError, match="inconsistent stack height"):
        stack_depths(chunk)


def test_stack_depths_mark_unreachable_code() -> None:
    code = compile_source("fun f() { return 1; print 2; }")
    f = code.functions[0]
    depths = stack_depths(f.chunk)
    assert names(f) == ["CONSTANT", "RETURN", "CONSTANT", "PRINT", "NIL", "RETURN"]
    assert depths == [0, 1, -1, -1, -1, -1]


def test_empty_chunk_has_no_depths() -> None:
    assert stack_depths(Chunk()) == []


def test_reaching_is_reachable_from_backwards() -> None:
    code = compile_source("var i = 0; while (i < 3) i = i + 1; print i;")
    chunk = code.chunk
    loop = names(code).index("LOOP")
    header = chunk.args[loop]
    back = reaching(chunk, header)
    forward = reachable_from(chunk, header)
    after = names(code).index("PRINT")
    # Everything before the header and the whole loop can lead to it; what follows the loop cannot.
    assert all(back[: loop + 1]) and not any(back[loop + 1:])
    assert forward[after] and not back[after]
    assert [i for i in range(len(chunk)) if back[i] and forward[i]] == list(range(header, loop + 1))


# ---------------------------------------------------------------- the compiler
@pytest.mark.parametrize(("source", "expected", "max_stack"), [
    ("print 1 + 2;", ["CONSTANT", "CONSTANT", "ADD", "PRINT", "NIL", "RETURN"], 3),
    ('var a = "x"; print a;', ["CONSTANT", "DEFINE_GLOBAL", "GET_GLOBAL", "PRINT", "NIL", "RETURN"], 2),
    ("a = 1;", ["CONSTANT", "SET_GLOBAL", "POP", "NIL", "RETURN"], 2),
    ("{ var a = 1; print a; }", ["CONSTANT", "SET_LOCAL", "POP", "GET_LOCAL", "PRINT", "NIL", "RETURN"], 2),
    ("print -1 == !nil;", ["CONSTANT", "NEGATE", "NIL", "NOT", "EQUAL", "PRINT", "NIL", "RETURN"], 3),
    ("print 1 != 2;", ["CONSTANT", "CONSTANT", "NOT_EQUAL", "PRINT", "NIL", "RETURN"], 3),
    ("print 1 <= 2 and 3 > 4;",
     ["CONSTANT", "CONSTANT", "LESS_EQUAL", "JUMP_IF_FALSE", "POP", "CONSTANT", "CONSTANT", "GREATER", "PRINT",
      "NIL", "RETURN"], 3),
    ("print true and false or nil;",
     ["TRUE", "JUMP_IF_FALSE", "POP", "FALSE", "JUMP_IF_FALSE", "JUMP", "POP", "NIL", "PRINT", "NIL", "RETURN"], 2),
    ("if (1) print 1; else print 2;",
     ["CONSTANT", "JUMP_IF_FALSE", "POP", "CONSTANT", "PRINT", "JUMP", "POP", "CONSTANT", "PRINT", "NIL",
      "RETURN"], 2),
    ("var i = 0; while (i < 3) i = i + 1;",
     ["CONSTANT", "DEFINE_GLOBAL", "GET_GLOBAL", "CONSTANT", "LESS", "JUMP_IF_FALSE", "POP", "GET_GLOBAL",
      "CONSTANT", "ADD", "SET_GLOBAL", "POP", "LOOP", "POP", "NIL", "RETURN"], 3),
    ("for (var i = 0; i < 2; i = i + 1) print i;",
     ["CONSTANT", "SET_LOCAL", "POP", "GET_LOCAL", "CONSTANT", "LESS", "JUMP_IF_FALSE", "POP", "GET_LOCAL",
      "PRINT", "GET_LOCAL", "CONSTANT", "ADD", "SET_LOCAL", "POP", "LOOP", "POP", "NIL", "RETURN"], 3),
    ("fun f(x) { return x; } print f(3);",
     ["CLOSURE", "DEFINE_GLOBAL", "GET_GLOBAL", "CONSTANT", "CALL", "PRINT", "NIL", "RETURN"], 3),
    ("nil.x = nil.y;", ["NIL", "NIL", "GET_PROPERTY", "SET_PROPERTY", "POP", "NIL", "RETURN"], 3),
    ("nil.x(1, 2);", ["NIL", "CONSTANT", "CONSTANT", "INVOKE", "POP", "NIL", "RETURN"], 4),
    ("print (nil.y)();", ["NIL", "GET_PROPERTY", "CALL", "PRINT", "NIL", "RETURN"], 2),
])
def test_script_opcodes(source: str, expected: list[str], max_stack: int) -> None:
    code = compile_source(source)
    assert names(code) == expected
    assert code.max_stack == max_stack
    depths = stack_depths(code.chunk)
    assert code.max_stack == max(depths) + 1
    assert code.name == "script" and code.arity == 0


def test_jump_targets() -> None:
    code = compile_source("if (1) print 1; else print 2;")
    assert code.chunk.args[1] == 6     # JUMP_IF_FALSE to the else branch's POP
    assert code.chunk.args[5] == 9     # JUMP over the else branch
    loop = compile_source("var i = 0; while (i < 3) i = i + 1;")
    assert loop.chunk.args[5] == 13    # exit to the final POP
    assert loop.chunk.args[12] == 2    # back-edge to the condition


def test_constants_are_deduplicated_by_type_and_value() -> None:
    code = compile_source('print 1; print 1; print "1"; print 2; print "1";')
    assert code.chunk.constants == [1.0, "1", 2.0]
    assert code.chunk.args[:9:2] == [0, 0, 1, 2, 1]


def test_function_shape_and_slots() -> None:
    code = compile_source("fun add(a, b) { var c = a + b; return c; }")
    add = code.functions[0]
    assert (add.name, add.arity, add.slot_count, add.line) == ("add", 2, 4, 1)
    assert names(add) == ["GET_LOCAL", "GET_LOCAL", "ADD", "SET_LOCAL", "POP", "GET_LOCAL", "RETURN", "NIL",
                          "RETURN"]
    assert add.chunk.args[:2] == [1, 2]
    assert add.chunk.args[3] == 3


def test_captured_variables_live_in_cells() -> None:
    code = compile_source("""
fun counter(start) {
  var count = start;
  fun next() { count = count + 1; return count; }
  return next;
}
""")
    counter = code.functions[0]
    assert names(counter) == ["GET_LOCAL", "SET_LOCAL", "POP", "MAKE_CELL", "CLOSURE", "SET_LOCAL", "POP",
                              "GET_LOCAL", "RETURN", "NIL", "RETURN"]
    next_fn = counter.functions[0]
    assert [(u.is_local, u.index) for u in next_fn.upvalues] == [(True, 2)]
    assert names(next_fn) == ["GET_UPVALUE", "CONSTANT", "ADD", "SET_UPVALUE", "POP", "GET_UPVALUE", "RETURN",
                              "NIL", "RETURN"]


def test_captured_parameter_is_made_a_cell_first() -> None:
    code = compile_source("fun f(x) { fun g() { return x; } return g; }")
    f = code.functions[0]
    assert names(f)[0] == "MAKE_CELL"
    assert f.chunk.args[0] == 1
    assert names(f)[1:3] == ["CLOSURE", "SET_LOCAL"]


def test_captured_local_read_and_write_use_cell_ops() -> None:
    code = compile_source("{ var a = 1; fun g() { return a; } a = 2; print a; }")
    assert "MAKE_CELL" in names(code)
    assert "SET_CELL" in names(code)
    assert "GET_CELL" in names(code)
    assert "SET_LOCAL" in names(code)   # the declaration stores the value before MAKE_CELL wraps it


def test_local_recursive_function_gets_its_cell_before_its_closure() -> None:
    code = compile_source("{ fun f(n) { if (n > 0) f(n - 1); } f(2); }")
    assert names(code)[:7] == ["NIL", "SET_LOCAL", "POP", "MAKE_CELL", "CLOSURE", "SET_CELL", "POP"]


def test_upvalue_of_upvalue() -> None:
    code = compile_source("fun a() { var x = 1; fun b() { fun c() { return x; } return c; } return b; }")
    b = code.functions[0].functions[0]
    c = b.functions[0]
    assert [(u.is_local, u.index) for u in b.upvalues] == [(True, 1)]
    assert [(u.is_local, u.index) for u in c.upvalues] == [(False, 0)]


def test_every_opcode_is_produced_by_some_program() -> None:
    code = compile_source("""
var g = 1; g = 2; print g;
{ var l = 1; l = 2; print l; fun h() { l = l + 1; return l; } print h(); }
fun f(p) { fun k() { p = p - 1; return p; } return k; }
print f(1)() * 2 / 3 - -4;
print !true == false != nil;
print 1 < 2; print 1 <= 2; print 1 > 2; print 1 >= 2;
if (g and g or g) print "x";
while (false) {}
nil.x = nil.y;
nil.m(1);
""")
    seen = {Op(op) for function in all_functions(code) for op in function.chunk.ops}
    assert seen == set(Op) - CLASS_OPCODES


# The opcode table describes the bytecode of the whole language; class declarations and ``super`` are
# compiled from stage 4 on (stage 1's compiler runs class-free Lox).
CLASS_OPCODES = {Op.CLASS, Op.INHERIT, Op.METHOD, Op.GET_SUPER, Op.SUPER_INVOKE}


CORPUS = [case for case in corpus_cases(groups=["core"]) if case.path is not None]


def test_the_corpus_compiles_with_consistent_stack_heights() -> None:
    """Every program of the corpus that parses compiles to bytecode whose heights agree at every join."""
    compiled = 0
    for case in CORPUS:
        assert case.path is not None
        try:
            script = parse(case.path.read_bytes().decode("latin-1"))
        except CompileErrors:
            continue
        for function in all_functions(compile_script(script)):
            chunk = function.chunk
            depths = stack_depths(chunk)
            assert chunk.ops[-1] == Op.RETURN, case.relpath
            assert function.max_stack == max(depths) + 1, case.relpath
            assert function.slot_count >= 1 + function.arity
            for index, op in enumerate(chunk.ops):
                if OPCODES[Op(op)].operand == "target":
                    assert 0 <= chunk.args[index] < len(chunk), case.relpath
        compiled += 1
    assert compiled > 200


# ---------------------------------------------------------------- the disassembler
def test_disassembly_text() -> None:
    code = compile_source('fun f(a) {\n  var s = "hi" + a;\n  fun g() { return s; }\n  return g;\n}\nprint f("!")();\n')
    assert disassemble(code) == """\
== <script> (arity 0, slots 1, max stack 3) ==
0000    1 CLOSURE             0 <fn f>
0001    | DEFINE_GLOBAL       0 'f'
0002    6 GET_GLOBAL          0 'f'
0003    | CONSTANT            0 "!"
0004    | CALL                1
0005    | CALL                0
0006    | PRINT
0007    | NIL
0008    | RETURN

== f (arity 1, slots 4, max stack 3) ==
0000    2 CONSTANT            0 "hi"
0001    | GET_LOCAL           1
0002    | ADD
0003    | SET_LOCAL           2
0004    | POP
0005    | MAKE_CELL           2
0006    3 CLOSURE             0 <fn g>
   |                       local 2 (s)
0007    | SET_LOCAL           3
0008    | POP
0009    4 GET_LOCAL           3
0010    | RETURN
0011    | NIL
0012    | RETURN

== g (arity 0, slots 1, max stack 2) ==
0000    3 GET_UPVALUE         0
0001    | RETURN
0002    | NIL
0003    | RETURN"""


def test_disassembly_of_numbers_and_jumps() -> None:
    text = disassemble(compile_source("while (0.5 < 100) print -2;"))
    assert '0000    1 CONSTANT            0 0.5' in text
    assert 'CONSTANT            1 100' in text
    assert '0003    | JUMP_IF_FALSE    -> 0009' in text
    assert '0008    | LOOP             -> 0000' in text


def test_disassembly_of_invoke() -> None:
    text = disassemble(compile_source("nil.x(1, 2);"))
    assert "0003    | INVOKE              0 'x' (2 args)" in text
