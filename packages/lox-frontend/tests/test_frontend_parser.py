"""Parser tests: tree shapes, precedence, lines, desugaring."""

from __future__ import annotations

from frontend_helpers import errors, expr_of, ok

from lox_frontend import nodes as n


def test_script_function() -> None:
    fn = ok("print 1;\n\n")
    assert fn.name == "script"
    assert fn.kind is n.FunctionKind.SCRIPT
    assert fn.line == 1
    assert fn.params == []
    assert fn.upvalues == []
    assert fn.slot_count == 1
    assert fn.end_line == 3
    assert ok("").body == []


def test_literals() -> None:
    e = expr_of("print 12.5;")
    assert isinstance(e, n.Literal) and e.value == 12.5 and isinstance(e.value, float)
    e = expr_of("print 7;")
    assert isinstance(e, n.Literal) and e.value == 7.0 and isinstance(e.value, float)
    assert isinstance((e := expr_of("print true;")), n.Literal) and e.value is True
    assert isinstance((e := expr_of("print false;")), n.Literal) and e.value is False
    assert isinstance((e := expr_of("print nil;")), n.Literal) and e.value is None
    e = expr_of(r'print "a\nb";')
    assert isinstance(e, n.Literal) and e.value == "a\\nb"  # no escapes
    e = expr_of('print "x\ny";')
    assert isinstance(e, n.Literal) and e.value == "x\ny" and e.line == 2


def test_precedence_and_associativity() -> None:
    e = expr_of("print 1 + 2 * 3;")
    assert isinstance(e, n.Binary) and e.op == "+"
    assert isinstance(e.right, n.Binary) and e.right.op == "*"

    e = expr_of("print 1 - 2 - 3;")
    assert isinstance(e, n.Binary) and isinstance(e.left, n.Binary)  # (1 - 2) - 3

    e = expr_of("print -a * b;")
    assert isinstance(e, n.Binary) and isinstance(e.left, n.Unary) and e.left.op == "-"

    e = expr_of("print !a == b;")
    assert isinstance(e, n.Binary) and e.op == "==" and isinstance(e.left, n.Unary)

    e = expr_of("print a < b == c > d;")
    assert isinstance(e, n.Binary) and e.op == "=="
    assert isinstance(e.left, n.Binary) and e.left.op == "<"
    assert isinstance(e.right, n.Binary) and e.right.op == ">"

    e = expr_of("print a or b and c;")
    assert isinstance(e, n.Logical) and e.op == "or"
    assert isinstance(e.right, n.Logical) and e.right.op == "and"

    e = expr_of("print a and b and c;")  # built left-associative
    assert isinstance(e, n.Logical) and isinstance(e.left, n.Logical)

    e = expr_of("print --1;")
    assert isinstance(e, n.Unary) and isinstance(e.operand, n.Unary)

    for op in ["+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">="]:
        e = expr_of(f"print a {op} b;")
        assert isinstance(e, n.Binary) and e.op == op


def test_grouping_is_kept() -> None:
    e = expr_of("print (1 + 2) * 3;")
    assert isinstance(e, n.Binary) and isinstance(e.left, n.Grouping)
    assert isinstance(e.left.expression, n.Binary)


def test_assignment() -> None:
    e = expr_of("a = b = 1;")
    assert isinstance(e, n.Assign) and e.name == "a"
    assert isinstance(e.value, n.Assign) and e.value.name == "b"
    assert isinstance(e.resolution, n.GlobalName) and e.resolution.name == "a"


def test_calls_gets_sets() -> None:
    e = expr_of("f(1, 2)(3);")
    assert isinstance(e, n.Call) and len(e.arguments) == 1
    assert isinstance(e.callee, n.Call) and len(e.callee.arguments) == 2
    assert isinstance(e.callee.callee, n.Variable)

    e = expr_of("print a.b.c;")
    assert isinstance(e, n.Get) and e.name == "c"
    assert isinstance(e.obj, n.Get) and e.obj.name == "b"

    e = expr_of("a.b.c = 1 + 2;")
    assert isinstance(e, n.Set) and e.name == "c" and isinstance(e.value, n.Binary)
    assert isinstance(e.obj, n.Get)

    e = expr_of("a.m(1);")  # an invocation: a call of a get
    assert isinstance(e, n.Call) and isinstance(e.callee, n.Get) and e.callee.name == "m"

    e = expr_of("f();")
    assert isinstance(e, n.Call) and e.arguments == []


def test_expression_lines_follow_clox() -> None:
    e = expr_of('print 1 +\n"a";')
    assert isinstance(e, n.Binary) and e.line == 2
    assert isinstance(e.left, n.Literal) and e.left.line == 1

    e = expr_of("print -\n\nx;")
    assert isinstance(e, n.Unary) and e.line == 3

    e = expr_of("f(\n1,\n2\n);")
    assert isinstance(e, n.Call) and e.line == 4

    e = expr_of("print a\n.\nb;")
    assert isinstance(e, n.Get) and e.line == 3

    e = expr_of("a.b =\n1 +\n2;")
    assert isinstance(e, n.Set) and e.line == 3

    e = expr_of("a =\n(1\n);")
    assert isinstance(e, n.Assign) and e.line == 3

    e = expr_of("print\n\nfoo;")
    assert isinstance(e, n.Variable) and e.line == 3

    e = expr_of("a.m\n(\n1\n);")
    assert isinstance(e, n.Call) and e.line == 4
    assert isinstance(e.callee, n.Get) and e.callee.line == 1

    e = expr_of("print 1 ==\n(2\n);")
    assert isinstance(e, n.Binary) and e.line == 3
    assert isinstance(e.right, n.Grouping) and e.right.line == 3

    e = expr_of("print a and\nb;")
    assert isinstance(e, n.Logical) and e.line == 2


def test_statement_lines() -> None:
    fn = ok("print\n1;\nvar\na;\n{\n}\nif\n(x) y;\nwhile\n(x) y;\nfun\nf() {\nreturn\n1;\n}\n  x\n= 1;")
    p, v, b, i, w, f, x = fn.body
    assert isinstance(p, n.Print) and p.line == 1
    assert isinstance(v, n.Var) and v.line == 3
    assert isinstance(b, n.Block) and b.line == 5
    assert isinstance(i, n.If) and i.line == 7
    assert isinstance(w, n.While) and w.line == 9
    assert isinstance(f, n.FunctionStmt) and f.line == 11
    assert f.function.line == 12 and f.function.end_line == 15
    r = f.function.body[0]
    assert isinstance(r, n.Return) and r.line == 13
    assert isinstance(x, n.ExpressionStmt) and x.line == 16


def test_if_else_and_while() -> None:
    i = ok("if (a) print 1; else print 2;").body[0]
    assert isinstance(i, n.If)
    assert isinstance(i.condition, n.Variable)
    assert isinstance(i.then_branch, n.Print) and isinstance(i.else_branch, n.Print)
    i = ok("if (a) if (b) print 1; else print 2;").body[0]  # dangling else binds inner
    assert isinstance(i, n.If) and i.else_branch is None
    assert isinstance(i.then_branch, n.If) and i.then_branch.else_branch is not None
    w = ok("while (a) { print 1; }").body[0]
    assert isinstance(w, n.While) and isinstance(w.body, n.Block) and w.increment is None


def test_for_desugaring_full() -> None:
    blk = ok("for (var i = 0; i < 3; i = i + 1) print i;").body[0]
    assert isinstance(blk, n.Block)
    init, loop = blk.statements
    assert isinstance(init, n.Var) and init.name == "i" and init.binding is not None
    assert isinstance(loop, n.While)
    assert isinstance(loop.condition, n.Binary) and loop.condition.op == "<"
    assert isinstance(loop.body, n.Print)
    assert isinstance(loop.increment, n.Assign)


def test_for_desugaring_partial() -> None:
    blk = ok("for (;;) print 1;").body[0]
    assert isinstance(blk, n.Block) and len(blk.statements) == 1  # still a Block
    loop = blk.statements[0]
    assert isinstance(loop, n.While) and loop.increment is None
    assert isinstance(loop.condition, n.Literal) and loop.condition.value is True

    blk = ok("for (i = 0; ; ) print 1;").body[0]
    assert isinstance(blk, n.Block)
    init, loop = blk.statements
    assert isinstance(init, n.ExpressionStmt) and isinstance(init.expression, n.Assign)
    assert isinstance(loop, n.While) and loop.increment is None


def test_functions() -> None:
    f = ok("fun add(a, b) { return a + b; }").body[0]
    assert isinstance(f, n.FunctionStmt) and f.binding is None
    fn = f.function
    assert fn.name == "add" and fn.kind is n.FunctionKind.FUNCTION
    assert [(p.name, p.slot) for p in fn.params] == [("a", 1), ("b", 2)]
    ret = fn.body[0]
    assert isinstance(ret, n.Return) and isinstance(ret.value, n.Binary)
    r = ok("fun f() { return; }").body[0]
    assert isinstance(r, n.FunctionStmt)
    ret = r.function.body[0]
    assert isinstance(ret, n.Return) and ret.value is None


def test_classes() -> None:
    c = ok("class B < A { init(x) { this.x = x; } get() { return super.get(); } }").body[0]
    assert isinstance(c, n.Class) and c.name == "B"
    assert isinstance(c.superclass, n.Variable) and c.superclass.name == "A"
    init, get = c.methods
    assert init.name == "init" and init.kind is n.FunctionKind.INITIALIZER
    assert get.name == "get" and get.kind is n.FunctionKind.METHOD
    s = init.body[0]
    assert isinstance(s, n.ExpressionStmt) and isinstance(s.expression, n.Set)
    assert isinstance(s.expression.obj, n.This)
    r = get.body[0]
    assert isinstance(r, n.Return) and isinstance(r.value, n.Call)
    sup = r.value.callee
    assert isinstance(sup, n.Super) and sup.method == "get"

    c = ok("class A {}").body[0]
    assert isinstance(c, n.Class) and c.superclass is None and c.methods == []
    assert c.binding is None and c.super_binding is None

    r = ok("class B < A { m() { return super.m; } }").body[0]
    assert isinstance(r, n.Class)
    ret = r.methods[0].body[0]
    assert isinstance(ret, n.Return) and isinstance(ret.value, n.Super)


def test_super_lines() -> None:
    c = ok("class B < A { m() { super\n.\nm(\n); super\n.\nn; } }").body[0]
    assert isinstance(c, n.Class)
    call, get = (s.expression for s in c.methods[0].body if isinstance(s, n.ExpressionStmt))
    assert isinstance(call, n.Call) and call.line == 4
    assert isinstance(call.callee, n.Super) and call.callee.line == 3
    assert isinstance(get, n.Super) and get.line == 6


def test_class_line_and_superclass_line() -> None:
    c = ok("class\nB\n<\nA\n{}").body[0]
    assert isinstance(c, n.Class) and c.line == 1
    assert c.superclass is not None and c.superclass.line == 4


def test_allow_classes_false() -> None:
    assert errors("class A {}", allow_classes=False) == [
        "[line 1] Error at 'class': Classes are not supported in this stage."
    ]
    # Properties still parse; this/super outside a class are the usual errors.
    ok("a.b = c.d; print a.b(1);", allow_classes=False)
    assert errors("print this;", allow_classes=False) == [
        "[line 1] Error at 'this': Can't use 'this' outside of a class."
    ]
    assert errors("print super.x;", allow_classes=False) == [
        "[line 1] Error at 'super': Can't use 'super' outside of a class."
    ]


def test_allow_classes_false_is_panic_mode_error() -> None:
    src = "class A < B {\n  m() { print 1 2; }\n}\nx = 1;\nprint 3 4;\n"
    # The class is still parsed (its inner error is suppressed, and the method
    # body's statement boundary ends panic mode, as in clox).
    assert errors(src, allow_classes=False) == [
        "[line 1] Error at 'class': Classes are not supported in this stage.",
        "[line 5] Error at '4': Expect ';' after value.",
    ]
    src2 = "class A {}\nprint 1;\nprint 2 3;"
    assert errors(src2, allow_classes=False) == [
        "[line 1] Error at 'class': Classes are not supported in this stage.",
        "[line 3] Error at '3': Expect ';' after value.",
    ]
    # After the class, panic mode skips to the next statement boundary.
    src3 = "class A {}\nx = 1 2;\nprint 3 4;"
    assert errors(src3, allow_classes=False) == [
        "[line 1] Error at 'class': Classes are not supported in this stage.",
        "[line 3] Error at '4': Expect ';' after value.",
    ]
