"""Print Hearth's import graph: which app imports which, and the cycles among them.

    python docs/import_graph.py                     # app level (every top-level package)
    python docs/import_graph.py --within integrations   # module level inside one app

Reads the source with `ast` (nothing is imported, no settings needed), skipping migrations.
An edge counts the import statements behind it; "(N in functions)" marks imports made inside a
function body — the usual way to hide a cycle. The contracts that keep the graph one-way are in
pyproject.toml ([tool.importlinter]) and run by `make test`; docs/architecture.md explains them.
"""

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_APPS = {"tests", "docs", "bench", "static", "templates", "requirements"}


def apps() -> list[str]:
    return sorted(
        path.name
        for path in ROOT.iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name not in NOT_APPS
    )


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path):
    """(imported module, inside a function?) for every import of one file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]

    def visit(node, in_function: bool):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, in_function
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join([*base, child.module] if child.module else base)
                else:
                    target = child.module or ""
                # `from pkg import module` imports the submodule when it is one
                for alias in child.names:
                    candidate = f"{target}.{alias.name}"
                    yield (candidate if _is_module(candidate) else target), in_function
            yield from visit(child, nested)

    yield from visit(tree, False)


def _is_module(name: str) -> bool:
    path = ROOT / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def sources(packages: list[str]):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def graph(level, packages: list[str]):
    """{(source, target): [statements, in functions]} with `level` naming both ends."""
    edges: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for path in sources(packages):
        source = level(module_name(path))
        for target, in_function in imports(path):
            target = level(target)
            if target is None or source is None or target == source:
                continue
            edges[source, target][0] += 1
            edges[source, target][1] += in_function
    return edges


def cycles(edges) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    successors = defaultdict(set)
    for source, target in edges:
        successors[source].add(target)
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def connect(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(successors[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(successors):
        if node not in index:
            connect(node)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--within", metavar="APP", help="module graph inside one app")
    args = parser.parse_args()
    known = apps()
    if args.within:
        prefix = args.within + "."

        def level(name: str):
            if name == args.within or not name.startswith(prefix):
                return None
            return name
        packages = [args.within]
        title = f"Modules of {args.within}"
    else:

        def level(name: str):
            top = name.split(".")[0]
            return top if top in known else None
        packages = known
        title = "Apps"
    edges = graph(level, packages)
    print(f"{title}: who imports whom (import statements; those inside functions)")
    for (source, target), (count, in_functions) in sorted(edges.items()):
        hidden = f", {in_functions} in functions" if in_functions else ""
        print(f"  {source} -> {target}  ({count}{hidden})")
    found = cycles(edges)
    print(f"Cycles: {len(found)}")
    for component in found:
        print("  " + " <-> ".join(component))
    sys.exit(0)


if __name__ == "__main__":
    main()
