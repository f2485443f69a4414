"""Imports between the apps point one way (README, Layout): a wrong-way arrow fails here."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]

# Which apps each app's code may import (itself included). The order: luna, ranking < users < venues,
# social < plans < experiments < recommendations < evaluation < world < ops; every app may import ranking.
# ranking and experiments are named in the sets before they are folders of the project.
ALLOWED = {
    "luna": {"luna", "ranking"},
    "ranking": {"ranking"},  # a plain Python package: no Luna app, and no Django (see below)
    "users": {"luna", "ranking", "users"},
    "venues": {"luna", "ranking", "users", "venues"},
    "social": {"luna", "ranking", "users", "social"},
    "plans": {"luna", "ranking", "users", "venues", "social", "plans"},
    "experiments": {"luna", "ranking", "users", "venues", "social", "plans", "experiments"},
    "recommendations": {"luna", "ranking", "users", "venues", "social", "plans", "experiments", "recommendations"},
    "evaluation": {
        *("luna", "ranking", "users", "venues", "social", "plans", "experiments", "recommendations"),
        "evaluation",
    },
    "world": {"luna", "ranking", "users", "venues", "social", "plans", "evaluation", "world"},
    "ops": {
        *("luna", "ranking", "users", "venues", "social", "plans", "experiments", "recommendations"),
        *("evaluation", "world", "ops"),
    },
}
# The packages an import is checked against: the apps, and those named before they exist.
PACKAGES = {*ALLOWED, "ranking", "experiments"}


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
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in PACKAGES)
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


def test_the_ranking_package_imports_without_django():
    modules = sorted(
        ".".join(path.relative_to(PROJECT).with_suffix("").parts).removesuffix(".__init__")
        for path in (PROJECT / "ranking").rglob("*.py")
        if "tests" not in path.relative_to(PROJECT).parts
    )
    assert "ranking.signals.pool" in modules and "ranking.geometry" in modules
    code = f"import importlib, sys\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
    code += "print(sorted(name for name in sys.modules if name == 'django' or name.startswith('django.')))"
    found = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
