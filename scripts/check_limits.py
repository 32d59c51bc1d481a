#!/usr/bin/env python3
"""Report the pieces of ``src/derbes`` that are too big to live in.

Limits (docs/STYLE.md, "small pieces"):

- a module has at most ``MODULE_LINES`` lines;
- a function has at most ``FUNCTION_LINES`` lines of body (its docstring not
  counted);
- a function takes at most ``PARAMETERS`` parameters after the context it
  works in (``self``/``cls``, and a first parameter named ``ctx``, ``uow`` or
  ``d`` — the object that carries the unit of work, clock and actor).

A command-line or HTTP entry point declares its options as parameters
(``typer.Option``, ``fastapi.Query``, ``Depends`` …): those declarations are its
interface and are not counted. A function that is one data literal (a JSON
Schema, a migration's table definitions) may say so with ``# limits: literal``
on its ``def`` line; nothing else is exempt.

Exit status 1 when anything is over a limit, with one line per offender.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

MODULE_LINES = 600
FUNCTION_LINES = 60
PARAMETERS = 6
CONTEXT_NAMES = frozenset({"self", "cls", "ctx", "uow", "d"})
EXEMPT_MARK = "# limits: literal"


@dataclass(frozen=True)
class Offence:
    path: Path
    line: int
    what: str

    def render(self, root: Path) -> str:
        return f"{self.path.relative_to(root)}:{self.line}: {self.what}"


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:]
    if not body:
        return 0
    first = body[0].lineno
    last = max(getattr(n, "end_lineno", n.lineno) or n.lineno for n in body)
    return last - first + 1


DECLARATIONS = frozenset({"Option", "Argument", "Query", "Depends", "Header", "Body", "Path",
                          "Cookie", "File", "Form", "Security"})


def _declares(node: ast.expr | None) -> bool:
    """An entry point's option declaration (``typer.Option(...)``, ``Depends(...)``)."""
    if node is None:
        return False
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in DECLARATIONS:
                return True
    return False


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    if positional and positional[0].arg in CONTEXT_NAMES:
        positional = positional[1:]
    defaults: list[ast.expr | None] = [None] * (len([*args.posonlyargs, *args.args])
                                               - len(args.defaults)) + list(args.defaults)
    defaults = defaults[-len(positional):] if positional else []
    counted = [a for a, dv in zip(positional, defaults, strict=True)
               if not (_declares(dv) or _declares(a.annotation))]
    counted += [a for a, dv in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                if not (_declares(dv) or _declares(a.annotation))]
    return len(counted)


def check_file(path: Path) -> list[Offence]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found: list[Offence] = []
    if len(lines) > MODULE_LINES:
        found.append(Offence(path, 1, f"module has {len(lines)} lines (limit {MODULE_LINES})"))
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        exempt = EXEMPT_MARK in lines[node.lineno - 1]
        size = _body_lines(node)
        if size > FUNCTION_LINES and not exempt:
            found.append(Offence(path, node.lineno,
                                 f"{node.name}() has {size} lines (limit {FUNCTION_LINES})"))
        count = _parameters(node)
        if count > PARAMETERS:
            found.append(Offence(path, node.lineno,
                                 f"{node.name}() takes {count} parameters (limit {PARAMETERS})"))
    return found


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[1]
    package = root / "src" / "derbes"
    offences = [o for path in sorted(package.rglob("*.py")) for o in check_file(path)]
    for offence in offences:
        print(offence.render(root))
    if "--summary" in argv or offences:
        print(f"{len(offences)} offence(s) in {len({o.path for o in offences})} module(s)")
    return 1 if offences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
