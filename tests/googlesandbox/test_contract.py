"""The sandbox keeps its own copy of Hearth's contract; it must equal Hearth's."""

import ast
from pathlib import Path

import googlesandbox
from googlesandbox import contract
from integrations.google.scopes import GOOGLE_SCOPES


def test_the_sandbox_scope_list_equals_hearths():
    assert tuple(GOOGLE_SCOPES) == contract.HEARTH_SCOPES


def test_the_sandbox_imports_nothing_of_the_product():
    product = {
        "integrations", "usermanagement", "organizations", "licenses", "invitations", "audit",
        "notifications", "config", "panel",
    }
    offenders = []
    for path in Path(googlesandbox.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in product]
    assert offenders == []
