"""Compile errors: every clox message with its exact token and line, and panic mode."""

from __future__ import annotations

import pytest
from frontend_helpers import errors

from lox_frontend import CompileError, CompileErrors, parse


def test_compile_error_format() -> None:
    assert str(CompileError(3, " at 'x'", "Boom.")) == "[line 3] Error at 'x': Boom."
    assert str(CompileError(9, " at end", "Boom.")) == "[line 9] Error at end: Boom."
    assert str(CompileError(1, "", "Unexpected character.")) == "[line 1] Error: Unexpected character."


def test_compile_errors_exception() -> None:
    with pytest.raises(CompileErrors) as info:
        parse("print ;\nprint 1")
    errs = info.value.errors
    assert errs == [
        CompileError(1, " at ';'", "Expect expression."),
        CompileError(2, " at end", "Expect ';' after value."),
    ]
    assert str(info.value) == (
        "[line 1] Error at ';': Expect expression.\n[line 2] Error at end: Expect ';' after value."
    )


SINGLE_ERRORS = [
    # syntax
    ("print ;", "[line 1] Error at ';': Expect expression."),
    ("print 1 2;", "[line 1] Error at '2': Expect ';' after value."),
    ("print 1", "[line 1] Error at end: Expect ';' after value."),
    ("1 2;", "[line 1] Error at '2': Expect ';' after expression."),
    ("fun f() { return 1 2; }", "[line 1] Error at '2': Expect ';' after return value."),
    ("for (; 1 2) {}", "[line 1] Error at '2': Expect ';' after loop condition."),
    ("var a = 1 2;", "[line 1] Error at '2': Expect ';' after variable declaration."),
    ("var 1 = 2;", "[line 1] Error at '1': Expect variable name."),
    ("fun (){}", "[line 1] Error at '(': Expect function name."),
    ("if 1) {}", "[line 1] Error at '1': Expect '(' after 'if'."),
    ("while 1) {}", "[line 1] Error at '1': Expect '(' after 'while'."),
    ("for ;;) {}", "[line 1] Error at ';': Expect '(' after 'for'."),
    ("if (1 {}", "[line 1] Error at '{': Expect ')' after condition."),
    ("while (1 {}", "[line 1] Error at '{': Expect ')' after condition."),
    ("for (;;1 {}", "[line 1] Error at '{': Expect ')' after for clauses."),
    ("print (1;", "[line 1] Error at ';': Expect ')' after expression."),
    ("f(1;", "[line 1] Error at ';': Expect ')' after arguments."),
    ("fun f {}", "[line 1] Error at '{': Expect '(' after function name."),
    ("fun f() 1; }", "[line 1] Error at '1': Expect '{' before function body."),
    ("{ print 1;\n", "[line 2] Error at end: Expect '}' after block."),
    ("class {}", "[line 1] Error at '{': Expect class name."),
    ("class A }", "[line 1] Error at '}': Expect '{' before class body."),
    ("class A { m() {}", "[line 1] Error at end: Expect '}' after class body."),
    ("class A < B() {}", "[line 1] Error at '(': Expect '{' before class body."),
    ("class A < (B) {}", "[line 1] Error at '(': Expect superclass name."),
    ("a.1;", "[line 1] Error at '1': Expect property name after '.'."),
    ("class A < B { m() { super; } }", "[line 1] Error at ';': Expect '.' after 'super'."),
    ("class A < B { m() { super.; } }", "[line 1] Error at ';': Expect superclass method name."),
    ("a + b = c;", "[line 1] Error at '=': Invalid assignment target."),
    # semantic
    ("{ var a; var a; }", "[line 1] Error at 'a': Already a variable with this name in this scope."),
    ("fun f(a b); }", "[line 1] Error at 'b': Expect ')' after parameters."),
    ("fun f(1); }", "[line 1] Error at '1': Expect parameter name."),
    ("{ var a = a; }", "[line 1] Error at 'a': Can't read local variable in its own initializer."),
    ("return;", "[line 1] Error at 'return': Can't return from top-level code."),
    ("class A { init() { return 1; } }", "[line 1] Error at 'return': Can't return a value from an initializer."),
    ("print this;", "[line 1] Error at 'this': Can't use 'this' outside of a class."),
    ("super.a;", "[line 1] Error at 'super': Can't use 'super' outside of a class."),
    ("class A { m() { super.m(); } }", "[line 1] Error at 'super': Can't use 'super' in a class with no superclass."),
    ("class A < A {}", "[line 1] Error at 'A': A class can't inherit from itself."),
    # scanner
    ('print "abc', "[line 1] Error: Unterminated string."),
    ("print @;", "[line 1] Error: Unexpected character."),
]


@pytest.mark.parametrize(("source", "expected"), SINGLE_ERRORS)
def test_every_message(source: str, expected: str) -> None:
    assert errors(source) == [expected]


CLOX_TEST_SUITE_STYLE = [
    # assignment
    ('var a = "a"; (a) = "value";', ["[line 1] Error at '=': Invalid assignment target."]),
    ('var a = "a"; !a = "value";', ["[line 1] Error at '=': Invalid assignment target."]),
    ("a = 1 = 2;", ["[line 1] Error at '=': Invalid assignment target."]),
    ("f() = 1;", ["[line 1] Error at '=': Invalid assignment target."]),
    ("a.b() = 1;", ["[line 1] Error at '=': Invalid assignment target."]),
    ("-a = 1;", ["[line 1] Error at '=': Invalid assignment target."]),
    ('class Foo { Foo() { this = "value"; } }', ["[line 1] Error at '=': Invalid assignment target."]),
    # numbers
    ("123.;", ["[line 1] Error at ';': Expect property name after '.'."]),
    ("123.\n", ["[line 2] Error at end: Expect property name after '.'."]),
    (".123;", ["[line 1] Error at '.': Expect expression."]),
    # reserved words as names
    ('var false = "value";', ["[line 1] Error at 'false': Expect variable name."]),
    ('var nil = "value";', ["[line 1] Error at 'nil': Expect variable name."]),
    ('var this = "value";', ["[line 1] Error at 'this': Expect variable name."]),
    # declarations are not statements
    ("for (;;) var foo;", ["[line 1] Error at 'var': Expect expression."]),
    ("if (true) fun foo() {}", ["[line 1] Error at 'fun': Expect expression."]),
    ("while (true) class Foo {}", ["[line 1] Error at 'class': Expect expression."]),
    ("if (true) 1; else var foo;", ["[line 1] Error at 'var': Expect expression."]),
    # functions
    # clox goes on parsing a function body after a bad header: the body's
    # statement boundary ends panic mode and the block misses its '}'.
    ("fun foo(a, b c, d, e, f) {}\n", [
        "[line 1] Error at 'c': Expect ')' after parameters.",
        "[line 2] Error at end: Expect '}' after block.",
    ]),
    ("fun f() 123;\n", [
        "[line 1] Error at '123': Expect '{' before function body.",
        "[line 2] Error at end: Expect '}' after block.",
    ]),
    ("fun f(1) {}", [
        "[line 1] Error at '1': Expect parameter name.",
        "[line 1] Error at end: Expect '}' after block.",
    ]),
    ("class A < 1 {}", [
        "[line 1] Error at '1': Expect superclass name.",
        "[line 1] Error at end: Expect '}' after block.",
    ]),
    ("class A ;", [
        "[line 1] Error at ';': Expect '{' before class body.",
        "[line 1] Error at end: Expect '}' after block.",
    ]),
    ("fun foo(arg,\n arg) {}", ["[line 2] Error at 'arg': Already a variable with this name in this scope."]),
    ("fun foo(a) { var a; }", ["[line 1] Error at 'a': Already a variable with this name in this scope."]),
    ("fun foo() { this; }", ["[line 1] Error at 'this': Can't use 'this' outside of a class."]),
    ("fun foo() { super.bar(); }", ["[line 1] Error at 'super': Can't use 'super' outside of a class."]),
    # classes
    ("class A {} class B < (A) {}", ["[line 1] Error at '(': Expect superclass name."]),
    ("class A { m() {} } class B < A { m() { (super).m(); } }", ["[line 1] Error at ')': Expect '.' after 'super'."]),
    # clox's test/class/local_inherit_self.lox: synchronizing eats the block's '}'.
    ("{\n  class Foo < Foo {}\n}\n\n", [
        "[line 2] Error at 'Foo': A class can't inherit from itself.",
        "[line 5] Error at end: Expect '}' after block.",
    ]),
    ("class A { init() { return; } }", []),
    ("class A { m() { return 1; } init() { fun f() { return 2; } } }", []),
    # a local redeclared in a nested scope, or a global redeclared, is fine
    ("{ var a; { var a; } }", []),
    ("var a; var a;", []),
    ("{ var a; } { var a; }", []),
    # the for initializer is in its own scope
    ("{ var i; for (var i = 0; ; ) {} }", []),
    ("for (var i = 0; ; ) { var i; }", []),
    # a multi-line string token is reported with its line (the closing quote)
    ('print "a"\n"b\nc";', ["[line 3] Error at '\"b\nc\"': Expect ';' after value."]),
]


@pytest.mark.parametrize(("source", "expected"), CLOX_TEST_SUITE_STYLE)
def test_clox_cases(source: str, expected: list[str]) -> None:
    assert errors(source) == expected


def test_for_statement_initializer_error_sequence() -> None:
    # clox's own test/for/statement_initializer.lox expectation.
    src = "// c1\n// c2\nfor ({}; a < 2; a = a + 1) {}\n"
    assert errors(src) == [
        "[line 3] Error at '{': Expect expression.",
        "[line 3] Error at ')': Expect ';' after expression.",
    ]


def test_for_statement_condition_error_sequence() -> None:
    src = "// c1\n// c2\nfor (var a = 1; {}; a = a + 1) {}\n"
    assert errors(src) == [
        "[line 3] Error at '{': Expect expression.",
        "[line 3] Error at ')': Expect ';' after expression.",
    ]


def test_for_condition_error_then_resync_at_swallowed_semicolon() -> None:
    # After the condition error the body parse swallows ';' as an expression
    # start; that ';' is a statement boundary, so ')' is reported next.
    assert errors("for (; 1 2;) {}") == [
        "[line 1] Error at '2': Expect ';' after loop condition.",
        "[line 1] Error at ')': Expect expression.",
    ]


def test_for_statement_increment_error() -> None:
    assert errors("for (var a = 1; a < 2; {}) {}") == ["[line 1] Error at '{': Expect expression."]


def test_bad_method_name_error_sequence() -> None:
    # clox goes on compiling a "method" after the error and resynchronizes
    # inside its body, so the missing '}' of that body is reported too.
    assert errors("class A { 123 }") == [
        "[line 1] Error at '123': Expect method name.",
        "[line 1] Error at end: Expect '}' after block.",
    ]


def test_super_outside_class_reported_per_statement() -> None:
    assert errors('super.foo("bar");\nsuper.foo;') == [
        "[line 1] Error at 'super': Can't use 'super' outside of a class.",
        "[line 2] Error at 'super': Can't use 'super' outside of a class.",
    ]


# ------------------------------------------------------------ panic mode


def test_several_errors_each_reported_after_resync() -> None:
    src = "print 1 2;\nvar = 3;\nprint (4;\n{ var a; var a; }\nreturn;\n"
    assert errors(src) == [
        "[line 1] Error at '2': Expect ';' after value.",
        "[line 2] Error at '=': Expect variable name.",
        "[line 3] Error at ';': Expect ')' after expression.",
        "[line 4] Error at 'a': Already a variable with this name in this scope.",
        "[line 5] Error at 'return': Can't return from top-level code.",
    ]


def test_errors_in_one_statement_are_suppressed() -> None:
    src = "print 1 2 3 4;\nprint x;\nvar a = +;\nprint a"
    assert errors(src) == [
        "[line 1] Error at '2': Expect ';' after value.",
        "[line 3] Error at '+': Expect expression.",
        "[line 4] Error at end: Expect ';' after value.",
    ]


def test_resync_inside_block() -> None:
    # The ';' swallowed as "Expect expression." still ends the statement.
    assert errors("{\n  print 1 +;\n  print 2 3;\n}") == [
        "[line 2] Error at ';': Expect expression.",
        "[line 3] Error at '3': Expect ';' after value.",
    ]


def test_synchronize_stops_before_statement_keywords() -> None:
    src = "a b c d\nvar x = 1 2\nfun f() {}\nprint 1 +;"
    assert errors(src) == [
        "[line 1] Error at 'b': Expect ';' after expression.",
        "[line 2] Error at '2': Expect ';' after variable declaration.",
        "[line 4] Error at ';': Expect expression.",
    ]


def test_semantic_errors_set_panic_mode() -> None:
    assert errors("{ var a; var a = b c; }") == [
        "[line 1] Error at 'a': Already a variable with this name in this scope.",
    ]
    assert errors("return 1 +;") == ["[line 1] Error at 'return': Can't return from top-level code."]
    assert errors("class A < A { m() { return 1 2; } }") == [
        "[line 1] Error at 'A': A class can't inherit from itself.",
    ]
    assert errors("print this 1;\nprint 2 3;") == [
        "[line 1] Error at 'this': Can't use 'this' outside of a class.",
        "[line 2] Error at '3': Expect ';' after value.",
    ]


def test_scanner_errors_and_panic_mode() -> None:
    # The second bad character is scanned while panic mode is still on.
    assert errors("@\nprint 1;\n@") == ["[line 1] Error: Unexpected character."]
    assert errors("@@@ print 1;") == ["[line 1] Error: Unexpected character."]
    # After a statement boundary, a new one is reported.
    assert errors("@\nprint 1;\nprint 2;\n#") == [
        "[line 1] Error: Unexpected character.",
        "[line 4] Error: Unexpected character.",
    ]
    # clox's test/unexpected_character.lox
    assert errors("// c\n\nfoo(a | b);") == ["[line 3] Error: Unexpected character."]
    assert errors('print 1;\n"abc\ndef') == ["[line 3] Error: Unterminated string."]


def test_garbage_bytes() -> None:
    assert errors('print "\xe9\xff\x80";') == []
    assert errors("print \xe9;") == ["[line 1] Error: Unexpected character."]
    assert errors("// \xff\xfe comment\nprint 1;") == []
    assert errors("print 1;\n\n\xff") == ["[line 3] Error: Unexpected character."]
    every_byte = "".join(chr(i) for i in range(1, 256))
    assert errors(every_byte)  # some errors, no crash
    # NUL ends the source, as clox reads a C string.
    assert errors("print 1;\0 this is ignored @@@") == []
    assert errors("print 1\0;") == ["[line 1] Error at end: Expect ';' after value."]


# ------------------------------------------------------------ 255 limits


def test_255_parameters_ok_256_is_error_at_the_name() -> None:
    params = ", ".join(f"p{i}" for i in range(255))
    assert errors(f"fun f({params}) {{}}") == []
    assert errors(f"fun f({params}, extra) {{}}") == [
        "[line 1] Error at 'extra': Can't have more than 255 parameters.",
    ]


def test_too_many_parameters_sets_panic_until_body_statement() -> None:
    params = ", ".join(f"p{i}" for i in range(300))
    src = f"fun f({params}) {{\n print 1;\n print 2 3;\n}}\nprint 4 5;"
    assert errors(src) == [
        "[line 1] Error at 'p255': Can't have more than 255 parameters.",
        "[line 3] Error at '3': Expect ';' after value.",
        "[line 5] Error at '5': Expect ';' after value.",
    ]


def test_255_arguments_ok_256_is_error_at_last_token_of_argument() -> None:
    args = ", ".join(f"a{i}" for i in range(255))
    assert errors(f"f({args});") == []
    assert errors(f"f({args}, x);") == ["[line 1] Error at 'x': Can't have more than 255 arguments."]
    assert errors(f"f({args}, 1 +\n 2, 3);\nprint 1 2;") == [
        "[line 2] Error at '2': Can't have more than 255 arguments.",
        "[line 3] Error at '2': Expect ';' after value.",
    ]
    assert errors(f"a.m({args}, x);") == ["[line 1] Error at 'x': Can't have more than 255 arguments."]
    assert errors(f"class A < B {{ m() {{ super.m({args}, x); }} }}") == [
        "[line 1] Error at 'x': Can't have more than 255 arguments."
    ]


# ------------------------------------------------------------ no clox size limits


def test_no_limit_on_constants_locals_upvalues_or_jumps() -> None:
    many_constants = "print " + " + ".join(str(i) for i in range(70_000)) + ";"
    assert errors(many_constants) == []
    locals_ = " ".join(f"var v{i};" for i in range(1000))
    assert errors(f"{{ {locals_} }}") == []
    uses = " ".join(f"print v{i};" for i in range(1000))
    assert errors(f"fun f() {{ {locals_} fun g() {{ {uses} }} }}") == []
    big_body = "while (true) { " + "print 1;" * 30_000 + " }"
    assert errors(big_body) == []
