"""The package's house rules: no import cycles, stages import only what lies below them,
at most 12 modules directly in `octavo/`, no module over 600 lines, and a docstring on
every stage saying what it takes and gives."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "octavo"
# Each stage, and the stages it may import from (besides the shared top-level modules:
# errors, options, fonts, report). The runner schedules the pipeline: it sits above it.
BELOW = {
    "manuscript": set(),
    "structure": {"manuscript"},
    "pdfread": set(),
    "paged": {"manuscript", "structure", "pdfread"},
    "epub": {"manuscript", "structure"},
    "booklet": {"pdfread"},
    "checks": {"manuscript", "structure", "pdfread", "paged", "epub", "booklet"},
    "runner": {"manuscript", "structure", "pdfread", "paged", "epub", "booklet", "checks"},
}
SHARED = {"errors", "options", "fonts", "report"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every octavo module `path` imports, lazy imports (inside functions) included."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                assert node.level <= len(base), f"{name}: relative import beyond octavo"
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("octavo"):
                continue
            for alias in node.names:  # `from . import front_matter` imports a module
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _exists(candidate) else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("octavo"))
    found.discard(name)
    missing = {module for module in found if not _exists(module)}
    assert not missing, f"{name} imports modules that do not exist: {sorted(missing)}"
    return found


def _exists(module: str) -> bool:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def graph() -> dict[str, set[str]]:
    return {module_name(path): imports(path) for path in PACKAGE.rglob("*.py")}


def test_no_import_cycles():
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycle = stack[stack.index(target):] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_stages_import_only_what_lies_below():
    wrong = []
    for module, targets in graph().items():
        stage = _stage(module)
        if stage not in BELOW:
            continue  # the entry points (cli, build) and the shared modules
        for target in targets:
            other = _stage(target)
            if other in (stage, *SHARED) or other in BELOW[stage]:
                continue
            wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_shared_modules_import_no_stage():
    for module, targets in graph().items():
        if _stage(module) in SHARED:
            assert all(_stage(t) in SHARED for t in targets), (module, targets)


def test_package_layout():
    top = [p for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert len(top) <= 12, sorted(p.name for p in top)
    too_long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert not too_long
    for init in PACKAGE.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.split()) >= 12 and "TODO" not in doc, init
