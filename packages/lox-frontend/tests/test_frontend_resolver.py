"""Resolver tests: globals, slots, slot reuse, upvalues, captured flags, this/super."""

from __future__ import annotations

from frontend_helpers import errors, ok

from lox_frontend import nodes as n


def fun(stmt: n.Stmt) -> n.Function:
    """The function of a FunctionStmt."""
    assert isinstance(stmt, n.FunctionStmt)
    return stmt.function


def expr(stmt: n.Stmt) -> n.Expr:
    """The expression of a Print / ExpressionStmt / Return-with-value."""
    if isinstance(stmt, n.Return):
        assert stmt.value is not None
        return stmt.value
    assert isinstance(stmt, (n.Print, n.ExpressionStmt))
    return stmt.expression


def local(e: n.Expr) -> n.Binding:
    """The binding a variable use resolves to, which must be a local slot."""
    assert isinstance(e, (n.Variable, n.Assign))
    assert isinstance(e.resolution, n.LocalSlot), e.resolution
    return e.resolution.binding


def test_top_level_names_are_globals() -> None:
    fn = ok("var a = 1; fun f() {} class C {} print a; a = 2;")
    v, f, c, p, s = fn.body
    assert isinstance(v, n.Var) and v.binding is None
    assert isinstance(f, n.FunctionStmt) and f.binding is None
    assert isinstance(c, n.Class) and c.binding is None
    e = expr(p)
    assert isinstance(e, n.Variable) and e.resolution == n.GlobalName("a")
    e = expr(s)
    assert isinstance(e, n.Assign) and e.resolution == n.GlobalName("a")
    assert fn.slot_count == 1


def test_globals_may_be_redeclared_and_read_in_own_initializer() -> None:
    assert errors("var a = 1; var a = a;") == []


def test_block_locals_get_slots_and_slots_are_reused() -> None:
    fn = ok("{ var a; var b; { var c; } { var d; var e; print a; } } { var f; }")
    outer, other = fn.body
    assert isinstance(outer, n.Block) and isinstance(other, n.Block)
    a, b, inner1, inner2 = outer.statements
    assert isinstance(a, n.Var) and a.binding is not None and a.binding.slot == 1
    assert isinstance(b, n.Var) and b.binding is not None and b.binding.slot == 2
    assert isinstance(inner1, n.Block) and isinstance(inner2, n.Block)
    c = inner1.statements[0]
    d, e, p = inner2.statements
    assert isinstance(c, n.Var) and c.binding is not None and c.binding.slot == 3
    assert isinstance(d, n.Var) and d.binding is not None and d.binding.slot == 3  # reused
    assert isinstance(e, n.Var) and e.binding is not None and e.binding.slot == 4
    assert local(expr(p)) is a.binding
    f = other.statements[0]
    assert isinstance(f, n.Var) and f.binding is not None and f.binding.slot == 1
    assert fn.slot_count == 5  # slot 0 + a, b, d, e
    assert c.binding is not d.binding


def test_shadowing() -> None:
    fn = ok("{ var a = 1; { var b = a; var a = b; print a; } print a; }")
    blk = fn.body[0]
    assert isinstance(blk, n.Block)
    outer, inner, p_outer = blk.statements
    assert isinstance(outer, n.Var) and isinstance(inner, n.Block)
    b, inner_a, p_inner = inner.statements
    assert isinstance(b, n.Var) and b.initializer is not None
    assert local(b.initializer) is outer.binding  # not yet shadowed
    assert isinstance(inner_a, n.Var) and inner_a.binding is not None
    assert inner_a.binding.slot == 3
    assert local(expr(p_inner)) is inner_a.binding
    assert local(expr(p_outer)) is outer.binding


def test_parameters_and_locals_in_functions() -> None:
    fn = ok("fun f(a, b) { var c; { var d; } var e; return a; }")
    f = fun(fn.body[0])
    assert [(p.name, p.slot) for p in f.params] == [("a", 1), ("b", 2)]
    c, blk, e, r = f.body
    assert isinstance(c, n.Var) and c.binding is not None and c.binding.slot == 3
    assert isinstance(blk, n.Block)
    d = blk.statements[0]
    assert isinstance(d, n.Var) and d.binding is not None and d.binding.slot == 4
    assert isinstance(e, n.Var) and e.binding is not None and e.binding.slot == 4
    assert local(expr(r)) is f.params[0]
    assert f.slot_count == 5
    assert fn.slot_count == 1


def test_function_in_block_is_local_and_sees_itself() -> None:
    fn = ok("{ fun f() { return f; } print f; }")
    blk = fn.body[0]
    assert isinstance(blk, n.Block)
    fs, p = blk.statements
    assert isinstance(fs, n.FunctionStmt) and fs.binding is not None and fs.binding.slot == 1
    assert local(expr(p)) is fs.binding
    # Inside its own body the name is an upvalue of the enclosing local.
    inner = expr(fs.function.body[0])
    assert isinstance(inner, n.Variable) and inner.resolution == n.UpvalueSlot(0)
    assert fs.function.upvalues == [n.UpvalueRef(True, 1, "f")]
    assert fs.binding.captured


def test_global_function_refers_to_itself_as_global() -> None:
    f = fun(ok("fun f() { return f; }").body[0])
    e = expr(f.body[0])
    assert isinstance(e, n.Variable) and e.resolution == n.GlobalName("f")
    assert f.upvalues == []


def test_upvalues_and_captured_flags() -> None:
    src = """
    fun outer(a, b) {
      var c = 1;
      var unused = 2;
      fun middle() {
        var m = 3;
        fun inner() {
          return a + c + m + a + g;
        }
        return b;
      }
      return middle;
    }
    """
    outer = fun(ok(src).body[0])
    a, b = outer.params
    c, unused, middle_stmt, _ = outer.body
    assert isinstance(c, n.Var) and isinstance(unused, n.Var) and c.binding and unused.binding
    middle = fun(middle_stmt)
    m_var, inner_stmt, ret_b = middle.body
    assert isinstance(m_var, n.Var) and m_var.binding is not None
    inner = fun(inner_stmt)

    # inner uses a (via middle), c (via middle), m (middle's local): in order of first use.
    assert inner.upvalues == [
        n.UpvalueRef(False, 0, "a"),
        n.UpvalueRef(False, 1, "c"),
        n.UpvalueRef(True, m_var.binding.slot, "m"),
    ]
    # middle threads a and c through, then captures b directly for itself.
    assert middle.upvalues == [
        n.UpvalueRef(True, 1, "a"),
        n.UpvalueRef(True, 3, "c"),
        n.UpvalueRef(True, 2, "b"),
    ]
    assert outer.upvalues == []
    assert a.captured and b.captured and c.binding.captured and m_var.binding.captured
    assert not unused.binding.captured

    uses = []
    e = expr(inner.body[0])
    while isinstance(e, n.Binary):
        uses.append(e.right)
        e = e.left
    uses.append(e)
    uses.reverse()
    assert [u.resolution for u in uses if isinstance(u, n.Variable)] == [
        n.UpvalueSlot(0), n.UpvalueSlot(1), n.UpvalueSlot(2), n.UpvalueSlot(0), n.GlobalName("g"),
    ]
    r = expr(ret_b)
    assert isinstance(r, n.Variable) and r.resolution == n.UpvalueSlot(2)


def test_upvalue_dedup_and_assignment() -> None:
    blk = ok("{ var x; fun f() { x = x + 1; print x; } }").body[0]
    assert isinstance(blk, n.Block)
    f = fun(blk.statements[1])
    assert f.upvalues == [n.UpvalueRef(True, 1, "x")]
    s = expr(f.body[0])
    assert isinstance(s, n.Assign) and s.resolution == n.UpvalueSlot(0)


def test_top_level_block_locals_are_captured_from_script() -> None:
    fn = ok("{ var a = 1; fun f() { print a; } }")
    blk = fn.body[0]
    assert isinstance(blk, n.Block)
    a, f = blk.statements
    assert isinstance(a, n.Var) and a.binding is not None and a.binding.captured
    assert fun(f).upvalues == [n.UpvalueRef(True, 1, "a")]
    assert fn.upvalues == []
    assert fn.slot_count == 3


def test_for_loop_variable_is_local_to_the_loop() -> None:
    fn = ok("for (var i = 0; i < 2; i = i + 1) { var j = i; } var k;")
    blk, k = fn.body
    assert isinstance(blk, n.Block)
    init, loop = blk.statements
    assert isinstance(init, n.Var) and init.binding is not None and init.binding.slot == 1
    assert isinstance(loop, n.While) and isinstance(loop.condition, n.Binary)
    assert local(loop.condition.left) is init.binding
    assert isinstance(loop.body, n.Block)
    j = loop.body.statements[0]
    assert isinstance(j, n.Var) and j.binding is not None and j.binding.slot == 2
    assert isinstance(k, n.Var) and k.binding is None  # back at global scope
    assert fn.slot_count == 3


def test_this_in_methods_and_nested_functions() -> None:
    src = "class A { m() { fun g() { return this; } return this; } }"
    c = ok(src).body[0]
    assert isinstance(c, n.Class)
    m = c.methods[0]
    g_stmt, ret = m.body
    this = expr(ret)
    assert isinstance(this, n.This) and isinstance(this.resolution, n.LocalSlot)
    slot0 = this.resolution.binding
    assert slot0.slot == 0 and slot0.name == "this" and slot0.captured
    g = fun(g_stmt)
    inner_this = expr(g.body[0])
    assert isinstance(inner_this, n.This) and inner_this.resolution == n.UpvalueSlot(0)
    assert g.upvalues == [n.UpvalueRef(True, 0, "this")]
    assert m.slot_count == 2  # this + g


def test_super_scope_binding_and_capture() -> None:
    src = "class B < A { m() { return super.m(); } n() { return 1; } }"
    fn = ok(src)
    c = fn.body[0]
    assert isinstance(c, n.Class)
    assert c.super_binding is not None
    assert c.super_binding.name == "super" and c.super_binding.slot == 1
    assert c.super_binding.captured
    assert fn.slot_count == 2  # the script frame holds "super" while the class body runs
    m, other = c.methods
    assert m.upvalues == [n.UpvalueRef(True, 1, "super")]
    assert other.upvalues == []
    call = expr(m.body[0])
    assert isinstance(call, n.Call) and isinstance(call.callee, n.Super)
    assert isinstance(call.callee.this, n.LocalSlot) and call.callee.this.binding.slot == 0
    assert call.callee.superclass == n.UpvalueSlot(0)


def test_super_unused_is_not_captured_and_slot_is_freed() -> None:
    fn = ok("class B < A {} var x; { var y; }")
    c, x, blk = fn.body
    assert isinstance(c, n.Class) and c.super_binding is not None
    assert not c.super_binding.captured
    assert isinstance(blk, n.Block)
    y = blk.statements[0]
    assert isinstance(y, n.Var) and y.binding is not None and y.binding.slot == 1  # reused


def test_local_class_and_super_order() -> None:
    # In a block, the class is a local; "this" is resolved before the
    # arguments and "super" after them, as clox does.
    src = "{ var v; class B < A { m() { fun h() { return super.m(v); } } } }"
    blk = ok(src).body[0]
    assert isinstance(blk, n.Block)
    v, c = blk.statements
    assert isinstance(c, n.Class) and c.binding is not None and c.binding.slot == 2
    assert c.super_binding is not None and c.super_binding.slot == 3
    assert isinstance(c.superclass, n.Variable) and c.superclass.resolution == n.GlobalName("A")
    h = fun(c.methods[0].body[0])
    assert [u.name for u in h.upvalues] == ["this", "v", "super"]
    assert c.methods[0].upvalues == [
        n.UpvalueRef(True, 1, "v"), n.UpvalueRef(True, 3, "super"),
    ]


def test_many_locals_and_upvalues_have_no_limit() -> None:
    names = [f"v{i}" for i in range(600)]
    decls = " ".join(f"var {x} = {i};" for i, x in enumerate(names))
    uses = " + ".join(names)
    fn = ok(f"fun f() {{ {decls} fun g() {{ return {uses}; }} return g; }}")
    f = fun(fn.body[0])
    assert f.slot_count == 602
    g = fun(f.body[-2])
    assert len(g.upvalues) == 600
    assert [u.index for u in g.upvalues] == list(range(1, 601))
