"""The disassembler behind ``--dump=bytecode``: one line per instruction, operands decoded."""

from __future__ import annotations

from .bytecode import OPCODES, FunctionCode, Op, invoke_argc, invoke_name


def operand_text(code: FunctionCode, op: Op, arg: int) -> str:
    """The operand as a reader wants it: the constant, the name, the jump target."""
    kind = OPCODES[op].operand
    chunk = code.chunk
    if kind == "const":
        value = chunk.constants[arg]
        shown = f'"{value}"' if isinstance(value, str) else f"{value:g}"
        return f"{arg:4d} {shown}"
    if kind == "name":
        return f"{arg:4d} '{chunk.names[arg]}'"
    if kind == "target":
        return f"-> {arg:04d}"
    if kind == "invoke":
        return f"{invoke_name(arg):4d} '{chunk.names[invoke_name(arg)]}' ({invoke_argc(arg)} args)"
    if kind == "function":
        return f"{arg:4d} <fn {code.functions[arg].name}>"
    if kind:
        return f"{arg:4d}"
    return ""


def disassemble(code: FunctionCode) -> str:
    """The whole function and its nested functions, clox-style (offset, line, opcode, operand)."""
    out = [f"== {'<script>' if code.name == 'script' else code.name} "
           f"(arity {code.arity}, slots {code.slot_count}, max stack {code.max_stack}) =="]
    chunk = code.chunk
    previous_line = -1
    for index, (op_number, arg, line) in enumerate(zip(chunk.ops, chunk.args, chunk.lines)):
        op = Op(op_number)
        line_text = "   |" if line == previous_line else f"{line:4d}"
        previous_line = line
        out.append(f"{index:04d} {line_text} {op.name:<16} {operand_text(code, op, arg)}".rstrip())
        if op == Op.CLOSURE:
            for upvalue in code.functions[arg].upvalues:
                where = "local" if upvalue.is_local else "upvalue"
                out.append(f"   |      {'':<16} {where} {upvalue.index} ({upvalue.name})")
    text = "\n".join(out)
    for nested in code.functions:
        text += "\n\n" + disassemble(nested)
    return text
