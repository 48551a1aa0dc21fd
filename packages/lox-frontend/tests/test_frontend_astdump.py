"""Tests of the --dump=ast text."""

from __future__ import annotations

from frontend_helpers import ok

from lox_frontend import nodes
from lox_frontend.astdump import dump

PROGRAM = """\
var g = 1;
fun f(a) {
  var b = a;
  fun h() { b = b + g; return b; }
  return h;
}
for (var i = 0; i < 2; i = i + 1) print f(i)();
class B < A {
  init(x) { this.x = x; }
  m() { return super.m(nil, true, "s"); }
}
if (!g) print -1; else while (g and false) g.y = 2;
"""

EXPECTED = """\
Function script <script> lines 1-13 slots=2 params=[] upvalues=[]
  Var g [line 1] global
    init: Literal 1.0 [line 1]
  FunctionStmt [line 2] global
    Function f <function> lines 2-6 slots=4 params=[a@1] upvalues=[]
      Var b [line 3] b@2 captured
        init: Variable a [line 3] local a@1
      FunctionStmt [line 4] h@3
        Function h <function> lines 4-4 slots=1 params=[] upvalues=[b<-local 2]
          ExpressionStmt [line 4]
            Assign b [line 4] upvalue 0
              Binary + [line 4]
                Variable b [line 4] upvalue 0
                Variable g [line 4] global g
          Return [line 4]
            value: Variable b [line 4] upvalue 0
      Return [line 5]
        value: Variable h [line 5] local h@3
  Block [line 7]
    Var i [line 7] i@1
      init: Literal 0.0 [line 7]
    While [line 7]
      cond: Binary < [line 7]
        Variable i [line 7] local i@1
        Literal 2.0 [line 7]
      body: Print [line 7]
        Call [line 7]
          Call [line 7]
            Variable f [line 7] global f
            args: (1)
              Variable i [line 7] local i@1
          args: (0)
      step: Assign i [line 7] local i@1
        Binary + [line 7]
          Variable i [line 7] local i@1
          Literal 1.0 [line 7]
  Class B [line 8] global super=super@1 captured
    superclass: Variable A [line 8] global A
    methods: (2)
      Function init <initializer> lines 9-9 slots=2 params=[x@1] upvalues=[]
        ExpressionStmt [line 9]
          Set .x [line 9]
            This [line 9] local this@0
            value: Variable x [line 9] local x@1
      Function m <method> lines 10-10 slots=1 params=[] upvalues=[super<-local 1]
        Return [line 10]
          value: Call [line 10]
            Super .m [line 10] this=local this@0 super=upvalue 0
            args: (3)
              Literal nil [line 10]
              Literal true [line 10]
              Literal 's' [line 10]
  If [line 12]
    cond: Unary ! [line 12]
      Variable g [line 12] global g
    then: Print [line 12]
      Unary - [line 12]
        Literal 1.0 [line 12]
    else: While [line 12]
      cond: Logical and [line 12]
        Variable g [line 12] global g
        Literal false [line 12]
      body: ExpressionStmt [line 12]
        Set .y [line 12]
          Variable g [line 12] global g
          value: Literal 2.0 [line 12]
"""


def test_dump_golden() -> None:
    assert dump(ok(PROGRAM)) == EXPECTED


def test_dump_empty_and_misc() -> None:
    assert dump(ok("")) == "Function script <script> lines 1-1 slots=1 params=[] upvalues=[]\n"
    text = dump(ok("{ var a; a.b; } return_ = 1; print (1);"))
    assert "Get .b [line 1]" in text
    assert "Grouping [line 1]" in text
    text = dump(ok("fun f() { return; }"))
    assert "Return [line 1]" in text and "value:" not in text


def test_dump_caps_indentation() -> None:
    src = "print " + "(" * 200 + "1" + ")" * 200 + ";"
    lines = dump(ok(src)).splitlines()
    assert lines[-1].endswith("Literal 1.0 [line 1]")
    assert "[202] " in lines[-1]
    assert len(lines[-1]) < 200


def test_dump_rejects_non_nodes() -> None:
    bad = nodes.Function("x", nodes.FunctionKind.FUNCTION, [], [object()], 1)  # type: ignore[list-item]
    try:
        dump(bad)
    except TypeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("expected TypeError")
