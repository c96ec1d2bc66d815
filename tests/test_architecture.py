"""The rooms of server/ (docs/architecture.md): imports point down, no circles, small modules."""

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parents[1] / "server"

# Lowest first. A module may import its own room and rooms earlier in this list.
ROOMS = [
    "db",
    "platform",
    "http",
    "outbox",
    "wechat",
    "auth",
    "community",
    "uploads",
    "points",
    "tasks",
    "rewards",
    "grid",
    "cards",
    "notices",
    "verification",
    "notify",
    "admin",
    "profile",
    "privacy",
    "commands",
    "__init__",
]
MAX_LINES = 350


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules():
    for path in sorted(SERVER.rglob("*.py")):
        parts = path.relative_to(SERVER.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield path, module


def _imports(path: Path):
    """Every server module a file imports, at any depth (function-level imports too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from server.points import ledger` names the module server.points.ledger
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        yield from (name for name in names if name == "server" or name.startswith("server."))


def test_every_room_is_named_in_the_order():
    rooms = {_room(module) for _, module in _modules()}
    assert rooms <= set(ROOMS), (
        f"add these rooms to ROOMS (and docs/architecture.md): {rooms - set(ROOMS)}"
    )


def test_imports_point_down():
    upward = []
    for path, module in _modules():
        mine = ROOMS.index(_room(module))
        for imported in _imports(path):
            theirs = _room(imported)
            if theirs != "__init__" and ROOMS.index(theirs) > mine:
                upward.append(f"{module} imports {imported}")
    assert upward == []


def test_the_app_factory_is_imported_by_nobody_inside_server():
    importers = [
        module
        for path, module in _modules()
        if module != "server" and any(name == "server" for name in _imports(path))
    ]
    assert importers == []


def test_no_module_is_too_long():
    long = []
    for path, module in _modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long.append(f"{module}: {lines} lines")
    assert long == []


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle among modules, or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circle_between_modules():
    known = {module for _, module in _modules()}
    graph = {}
    for path, module in _modules():
        graph[module] = {name for name in _imports(path) if name in known and name != module}
    assert _cycle(graph) is None
