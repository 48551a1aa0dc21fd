"""CPython twin of bench/interpreter.lox: tokenize, parse and tree-walk a small embedded program, 1,000 times."""

import time


# ---------------------------------------------------------------- input
# The Mini program, as character codes (as in the Lox program): each t(...)
# call adds ten codes (0 is padding), its text in the comment.
class Char:
    def __init__(self, code):
        self.code = code
        self.next = None


class Text:
    def __init__(self):
        self.first = None
        self.last = None
        self.length = 0

    def add(self, code):
        if code == 0:
            return
        c = Char(code)
        if self.last is None:
            self.first = c
        else:
            self.last.next = c
        self.last = c
        self.length = self.length + 1


def readSource():
    text = Text()

    def t(a, b, c, d, e, f, g, h, i, j):
        text.add(a)
        text.add(b)
        text.add(c)
        text.add(d)
        text.add(e)
        text.add(f)
        text.add(g)
        text.add(h)
        text.add(i)
        text.add(j)

    def part1():
        t(102, 117, 110, 32, 115, 113, 117, 97, 114, 101)  # "fun square"
        t(40, 120, 41, 32, 123, 32, 114, 101, 116, 117)  # "(x) { retu"
        t(114, 110, 32, 120, 32, 42, 32, 120, 59, 32)  # "rn x * x; "
        t(125, 10, 102, 117, 110, 32, 115, 117, 109, 84)  # "}\nfun sumT"
        t(111, 40, 110, 41, 32, 123, 10, 32, 32, 108)  # "o(n) {\n  l"
        t(101, 116, 32, 115, 32, 61, 32, 48, 59, 10)  # "et s = 0;\n"
        t(32, 32, 108, 101, 116, 32, 105, 32, 61, 32)  # "  let i = "
        t(49, 59, 10, 32, 32, 119, 104, 105, 108, 101)  # "1;\n  while"
        t(32, 40, 105, 32, 60, 61, 32, 110, 41, 32)  # " (i <= n) "
        t(123, 10, 32, 32, 32, 32, 115, 32, 61, 32)  # "{\n    s = "
        t(115, 32, 43, 32, 115, 113, 117, 97, 114, 101)  # "s + square"
        t(40, 105, 41, 59, 10, 32, 32, 32, 32, 105)  # "(i);\n    i"
        t(32, 61, 32, 105, 32, 43, 32, 49, 59, 10)  # " = i + 1;\n"
        t(32, 32, 125, 10, 32, 32, 114, 101, 116, 117)  # "  }\n  retu"
        t(114, 110, 32, 115, 59, 10, 125, 10, 102, 117)  # "rn s;\n}\nfu"
        t(110, 32, 116, 114, 105, 40, 110, 41, 32, 123)  # "n tri(n) {"
        t(10, 32, 32, 105, 102, 32, 40, 110, 32, 60)  # "\n  if (n <"
        t(32, 49, 41, 32, 114, 101, 116, 117, 114, 110)  # " 1) return"
        t(32, 48, 59, 10, 32, 32, 114, 101, 116, 117)  # " 0;\n  retu"
        t(114, 110, 32, 110, 32, 43, 32, 116, 114, 105)  # "rn n + tri"

    def part2():
        t(40, 110, 32, 45, 32, 49, 41, 59, 10, 125)  # "(n - 1);\n}"
        t(10, 102, 117, 110, 32, 99, 111, 117, 110, 116)  # "\nfun count"
        t(101, 114, 40, 115, 116, 101, 112, 41, 32, 123)  # "er(step) {"
        t(10, 32, 32, 108, 101, 116, 32, 99, 32, 61)  # "\n  let c ="
        t(32, 48, 59, 10, 32, 32, 102, 117, 110, 32)  # " 0;\n  fun "
        t(110, 101, 120, 116, 40, 41, 32, 123, 10, 32)  # "next() {\n "
        t(32, 32, 32, 99, 32, 61, 32, 99, 32, 43)  # "   c = c +"
        t(32, 115, 116, 101, 112, 59, 10, 32, 32, 32)  # " step;\n   "
        t(32, 114, 101, 116, 117, 114, 110, 32, 99, 59)  # " return c;"
        t(10, 32, 32, 125, 10, 32, 32, 114, 101, 116)  # "\n  }\n  ret"
        t(117, 114, 110, 32, 110, 101, 120, 116, 59, 10)  # "urn next;\n"
        t(125, 10, 108, 101, 116, 32, 116, 105, 99, 107)  # "}\nlet tick"
        t(32, 61, 32, 99, 111, 117, 110, 116, 101, 114)  # " = counter"
        t(40, 51, 41, 59, 10, 108, 101, 116, 32, 116)  # "(3);\nlet t"
        t(111, 116, 97, 108, 32, 61, 32, 48, 59, 10)  # "otal = 0;\n"
        t(108, 101, 116, 32, 106, 32, 61, 32, 48, 59)  # "let j = 0;"
        t(10, 119, 104, 105, 108, 101, 32, 40, 106, 32)  # "\nwhile (j "
        t(60, 32, 49, 50, 41, 32, 123, 10, 32, 32)  # "< 12) {\n  "
        t(105, 102, 32, 40, 106, 32, 62, 32, 51, 32)  # "if (j > 3 "
        t(97, 110, 100, 32, 106, 32, 33, 61, 32, 55)  # "and j != 7"

    def part3():
        t(41, 32, 116, 111, 116, 97, 108, 32, 61, 32)  # ") total = "
        t(116, 111, 116, 97, 108, 32, 43, 32, 115, 117)  # "total + su"
        t(109, 84, 111, 40, 106, 41, 59, 10, 32, 32)  # "mTo(j);\n  "
        t(101, 108, 115, 101, 32, 116, 111, 116, 97, 108)  # "else total"
        t(32, 61, 32, 116, 111, 116, 97, 108, 32, 45)  # " = total -"
        t(32, 116, 114, 105, 40, 52, 41, 32, 42, 32)  # " tri(4) * "
        t(50, 59, 10, 32, 32, 105, 102, 32, 40, 116)  # "2;\n  if (t"
        t(111, 116, 97, 108, 32, 62, 32, 53, 48, 48)  # "otal > 500"
        t(32, 111, 114, 32, 106, 32, 61, 61, 32, 49)  # " or j == 1"
        t(49, 41, 32, 116, 111, 116, 97, 108, 32, 61)  # "1) total ="
        t(32, 116, 111, 116, 97, 108, 32, 45, 32, 40)  # " total - ("
        t(116, 105, 99, 107, 40, 41, 32, 43, 32, 45)  # "tick() + -"
        t(49, 41, 59, 10, 32, 32, 106, 32, 61, 32)  # "1);\n  j = "
        t(106, 32, 43, 32, 49, 59, 10, 125, 10, 112)  # "j + 1;\n}\np"
        t(114, 105, 110, 116, 32, 116, 111, 116, 97, 108)  # "rint total"
        t(59, 10, 112, 114, 105, 110, 116, 32, 116, 114)  # ";\nprint tr"
        t(105, 40, 54, 41, 59, 10, 112, 114, 105, 110)  # "i(6);\nprin"
        t(116, 32, 116, 105, 99, 107, 40, 41, 59, 10)  # "t tick();\n"

    part1()
    part2()
    part3()
    return text


# ---------------------------------------------------------------- lexer
class Token:
    def __init__(self, kind, text, value, line):
        self.kind = kind
        self.text = text
        self.value = value
        self.line = line
        self.next = None


def isDigit(c):
    return c >= 48 and c <= 57


def isAlpha(c):
    return (c >= 97 and c <= 122) or (c >= 65 and c <= 90) or c == 95


class Lexer:
    def __init__(self, text):
        self.cur = text.first
        self.line = 1
        self.count = 0

    def peek(self):
        if self.cur is None:
            return -1
        return self.cur.code

    def advance(self):
        c = self.cur.code
        self.cur = self.cur.next
        if c == 10:
            self.line = self.line + 1
        return c

    # The whole token list, ending with an "eof" token.
    def scan(self):
        head = self.token()
        tail = head
        while tail.kind != "eof":
            tail.next = self.token()
            tail = tail.next
        return head

    def token(self):
        self.count = self.count + 1
        c = self.peek()
        while c == 32 or c == 10:
            self.advance()
            c = self.peek()
        if c < 0:
            return Token("eof", "", 0, self.line)
        if isDigit(c):
            return self.number()
        if isAlpha(c):
            return self.word()
        self.advance()
        text = chr(c)
        if self.peek() == 61 and (c == 61 or c == 33 or c == 60 or c == 62):
            self.advance()
            text = text + "="
        return Token(text, text, 0, self.line)

    def number(self):
        value = 0
        while isDigit(self.peek()):
            value = value * 10 + self.advance() - 48
        return Token("number", "", value, self.line)

    def word(self):
        text = ""
        while isAlpha(self.peek()) or isDigit(self.peek()):
            text = text + chr(self.advance())
        if (text == "let" or text == "fun" or text == "if" or text == "else" or text == "while"
                or text == "return" or text == "print" or text == "and" or text == "or"):
            return Token(text, text, 0, self.line)
        return Token("name", text, 0, self.line)


# ---------------------------------------------------------------- AST
class Cons:
    def __init__(self, head, tail):
        self.head = head
        self.tail = tail


class NumberLit:
    def __init__(self, value):
        self.value = value

    def eval(self, scope):
        return self.value


class VarRef:
    def __init__(self, name):
        self.name = name

    def eval(self, scope):
        return scope.lookup(self.name).value


class Assign:
    def __init__(self, name, value):
        self.name = name
        self.value = value

    def eval(self, scope):
        value = self.value.eval(scope)
        scope.lookup(self.name).value = value
        return value


class Negate:
    def __init__(self, operand):
        self.operand = operand

    def eval(self, scope):
        return -self.operand.eval(scope)


class Binary:
    def __init__(self, left, right):
        self.left = left
        self.right = right


class Add(Binary):
    def eval(self, scope):
        return self.left.eval(scope) + self.right.eval(scope)


class Subtract(Binary):
    def eval(self, scope):
        return self.left.eval(scope) - self.right.eval(scope)


class Multiply(Binary):
    def eval(self, scope):
        return self.left.eval(scope) * self.right.eval(scope)


class Less(Binary):
    def eval(self, scope):
        return self.left.eval(scope) < self.right.eval(scope)


class LessEqual(Binary):
    def eval(self, scope):
        return self.left.eval(scope) <= self.right.eval(scope)


class Greater(Binary):
    def eval(self, scope):
        return self.left.eval(scope) > self.right.eval(scope)


class Equal(Binary):
    def eval(self, scope):
        return self.left.eval(scope) == self.right.eval(scope)


class NotEqual(Binary):
    def eval(self, scope):
        return self.left.eval(scope) != self.right.eval(scope)


class And(Binary):
    def eval(self, scope):
        left = self.left.eval(scope)
        if not left:
            return left
        return self.right.eval(scope)


class Or(Binary):
    def eval(self, scope):
        left = self.left.eval(scope)
        if left:
            return left
        return self.right.eval(scope)


class Call:
    def __init__(self, callee, args):
        self.callee = callee
        self.args = args

    def eval(self, scope):
        function = self.callee.eval(scope)
        inner = Scope(function.closure)
        param = function.decl.params
        arg = self.args
        while param is not None:
            inner.define(param.head, arg.head.eval(scope))
            param = param.tail
            arg = arg.tail
        return function.run(inner)


class ExprStmt:
    def __init__(self, expr):
        self.expr = expr

    def exec(self, scope, control):
        self.expr.eval(scope)


class PrintStmt:
    def __init__(self, expr):
        self.expr = expr

    def exec(self, scope, control):
        control.output.emit(self.expr.eval(scope))


class LetStmt:
    def __init__(self, name, value):
        self.name = name
        self.value = value

    def exec(self, scope, control):
        scope.define(self.name, self.value.eval(scope))


class Block:
    def __init__(self, statements):
        self.statements = statements

    def exec(self, scope, control):
        inner = Scope(scope)
        statement = self.statements
        while statement is not None and not control.returning:
            statement.head.exec(inner, control)
            statement = statement.tail


class IfStmt:
    def __init__(self, condition, then, otherwise):
        self.condition = condition
        self.then = then
        self.otherwise = otherwise

    def exec(self, scope, control):
        if self.condition.eval(scope):
            self.then.exec(scope, control)
        elif self.otherwise is not None:
            self.otherwise.exec(scope, control)


class WhileStmt:
    def __init__(self, condition, body):
        self.condition = condition
        self.body = body

    def exec(self, scope, control):
        while not control.returning and self.condition.eval(scope):
            self.body.exec(scope, control)


class FunDecl:
    def __init__(self, name, params, body):
        self.name = name
        self.params = params
        self.body = body

    def exec(self, scope, control):
        scope.define(self.name, Function(self, scope, control.output))


class ReturnStmt:
    def __init__(self, value):
        self.value = value

    def exec(self, scope, control):
        control.value = self.value.eval(scope)
        control.returning = True


# ---------------------------------------------------------------- parser
class Parser:
    def __init__(self, tokens):
        self.token = tokens
        self.errors = 0

    def check(self, kind):
        return self.token.kind == kind

    def match(self, kind):
        if self.token.kind != kind:
            return False
        self.token = self.token.next
        return True

    def expect(self, kind):
        token = self.token
        if token.kind != kind:
            self.errors = self.errors + 1
        self.token = token.next
        return token

    def program(self):
        first = None
        last = None
        while not self.check("eof"):
            cell = Cons(self.declaration(), None)
            if last is None:
                first = cell
            else:
                last.tail = cell
            last = cell
        return Block(first)

    def declaration(self):
        if self.match("fun"):
            return self.function()
        if self.match("let"):
            name = self.expect("name").text
            self.expect("=")
            value = self.expression()
            self.expect(";")
            return LetStmt(name, value)
        return self.statement()

    def function(self):
        name = self.expect("name").text
        self.expect("(")
        first = None
        last = None
        if not self.check(")"):
            first = Cons(self.expect("name").text, None)
            last = first
            while self.match(","):
                last.tail = Cons(self.expect("name").text, None)
                last = last.tail
        self.expect(")")
        self.expect("{")
        return FunDecl(name, first, self.block())

    # The statements up to the closing brace (the opening one is read).
    def block(self):
        first = None
        last = None
        while not self.check("}") and not self.check("eof"):
            cell = Cons(self.declaration(), None)
            if last is None:
                first = cell
            else:
                last.tail = cell
            last = cell
        self.expect("}")
        return Block(first)

    def statement(self):
        if self.match("print"):
            value = self.expression()
            self.expect(";")
            return PrintStmt(value)
        if self.match("return"):
            result = self.expression()
            self.expect(";")
            return ReturnStmt(result)
        if self.match("if"):
            self.expect("(")
            condition = self.expression()
            self.expect(")")
            then = self.statement()
            otherwise = None
            if self.match("else"):
                otherwise = self.statement()
            return IfStmt(condition, then, otherwise)
        if self.match("while"):
            self.expect("(")
            test = self.expression()
            self.expect(")")
            return WhileStmt(test, self.statement())
        if self.match("{"):
            return self.block()
        expr = self.expression()
        self.expect(";")
        return ExprStmt(expr)

    def expression(self):
        expr = self.disjunction()
        if self.match("="):
            return Assign(expr.name, self.expression())
        return expr

    def disjunction(self):
        expr = self.conjunction()
        while self.match("or"):
            expr = Or(expr, self.conjunction())
        return expr

    def conjunction(self):
        expr = self.equality()
        while self.match("and"):
            expr = And(expr, self.equality())
        return expr

    def equality(self):
        expr = self.comparison()
        while True:
            if self.match("=="):
                expr = Equal(expr, self.comparison())
            elif self.match("!="):
                expr = NotEqual(expr, self.comparison())
            else:
                return expr

    def comparison(self):
        expr = self.term()
        while True:
            if self.match("<"):
                expr = Less(expr, self.term())
            elif self.match("<="):
                expr = LessEqual(expr, self.term())
            elif self.match(">"):
                expr = Greater(expr, self.term())
            else:
                return expr

    def term(self):
        expr = self.factor()
        while True:
            if self.match("+"):
                expr = Add(expr, self.factor())
            elif self.match("-"):
                expr = Subtract(expr, self.factor())
            else:
                return expr

    def factor(self):
        expr = self.unary()
        while self.match("*"):
            expr = Multiply(expr, self.unary())
        return expr

    def unary(self):
        if self.match("-"):
            return Negate(self.unary())
        return self.call()

    def call(self):
        expr = self.primary()
        while self.match("("):
            first = None
            last = None
            if not self.check(")"):
                first = Cons(self.expression(), None)
                last = first
                while self.match(","):
                    last.tail = Cons(self.expression(), None)
                    last = last.tail
            self.expect(")")
            expr = Call(expr, first)
        return expr

    def primary(self):
        token = self.token
        self.token = token.next
        if token.kind == "number":
            return NumberLit(token.value)
        if token.kind == "name":
            return VarRef(token.text)
        if token.kind == "(":
            inside = self.expression()
            self.expect(")")
            return inside
        self.errors = self.errors + 1
        return NumberLit(0)


# ---------------------------------------------------------------- runtime
class Binding:
    def __init__(self, name, value, next):
        self.name = name
        self.value = value
        self.next = next


class Scope:
    def __init__(self, parent):
        self.parent = parent
        self.first = None

    def define(self, name, value):
        self.first = Binding(name, value, self.first)

    def lookup(self, name):
        scope = self
        while scope is not None:
            binding = scope.first
            while binding is not None:
                if binding.name == name:
                    return binding
                binding = binding.next
            scope = scope.parent
        return None


class Control:
    def __init__(self, output):
        self.output = output
        self.returning = False
        self.value = None


class Function:
    def __init__(self, decl, closure, output):
        self.decl = decl
        self.closure = closure
        self.output = output

    def run(self, scope):
        control = Control(self.output)
        self.decl.body.exec(scope, control)
        return control.value


# What the Mini program prints: how many values, their sum, and the values in order.
class Output:
    def __init__(self):
        self.count = 0
        self.sum = 0
        self.first = None
        self.last = None

    def emit(self, value):
        self.count = self.count + 1
        self.sum = self.sum + value
        cell = Cons(value, None)
        if self.last is None:
            self.first = cell
        else:
            self.last.tail = cell
        self.last = cell


# ---------------------------------------------------------------- driver
def main():
    start = time.perf_counter()
    source = readSource()
    tokens = 0
    errors = 0
    printed = 0
    checksum = 0
    output = None
    run = 0
    while run < 1000:
        lexer = Lexer(source)
        parser = Parser(lexer.scan())
        program = parser.program()
        output = Output()
        program.exec(Scope(None), Control(output))
        tokens = tokens + lexer.count
        errors = errors + parser.errors
        printed = printed + output.count
        checksum = checksum + output.sum
        while checksum >= 999983:
            checksum = checksum - 999983
        while checksum < 0:
            checksum = checksum + 999983
        run = run + 1
    print("%g" % source.length)
    print("%g" % tokens)
    print("%g" % errors)
    print("%g" % printed)
    print("%g" % checksum)
    value = output.first
    while value is not None:
        print("%g" % value.head)
        value = value.tail
    print(time.perf_counter() - start)


main()
