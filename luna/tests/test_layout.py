"""Imports between the apps point one way (README, Layout): a wrong-way arrow fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]

# Which apps each app's code may import (itself included).
ALLOWED = {
    "luna": {"luna"},
    "users": {"luna", "users"},
    "venues": {"luna", "users", "venues"},
    "social": {"luna", "users", "social"},
    "plans": {"luna", "users", "venues", "social", "plans"},
    "experiments": {"luna", "ranking", "users", "venues", "social", "plans", "experiments"},
    "recommendations": {"luna", "users", "venues", "social", "plans", "experiments", "recommendations"},
    "world": {"luna", "users", "venues", "social", "plans", "experiments", "recommendations", "world"},
}


def imported_apps(path: Path) -> set[str]:
    """The Luna apps a module imports, anywhere in it (imports inside functions count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in ALLOWED)
    return found


def wrong_way_imports(root: Path) -> list[str]:
    """Every import in the apps' non-test modules that ALLOWED does not allow, as 'module -> app'."""
    arrows = []
    for app, allowed in ALLOWED.items():
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root)
            if "tests" in relative.parts:
                continue
            arrows += [f"{relative} -> {target}" for target in sorted(imported_apps(path) - allowed)]
    return arrows


def test_every_import_between_apps_points_the_allowed_way():
    assert wrong_way_imports(PROJECT) == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    (tmp_path / "users").mkdir()
    (tmp_path / "users" / "views.py").write_text("def view():\n    from venues.models import Venue\n")
    assert wrong_way_imports(tmp_path) == ["users/views.py -> venues"]


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_every_app_is_a_folder_of_the_project(app):
    assert (PROJECT / app / "__init__.py").is_file()
