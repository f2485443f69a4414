""".env.example lists every environment variable the project reads, each with its default and what it means."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = PROJECT / ".env.example"
HELPERS = {"env_str", "env_bool", "env_number", "env_rate", "env_list", "env_url", "env_database", "env_cache"}
# Where the code that reads the environment lives: not the tests, nor the benchmarks' own scripts.
SKIPPED = {".venv", "tests", "bench", "node_modules"}
LINE = re.compile(r"^#? ?([A-Z][A-Z0-9_]*)=(.*)$")


def project_files(suffixes: tuple[str, ...], skipped: set[str]) -> list[Path]:
    files = []
    for folder, subfolders, names in os.walk(PROJECT):
        subfolders[:] = [name for name in subfolders if name not in skipped and not name.startswith(".")]
        files += [Path(folder) / name for name in names if name.endswith(suffixes)]
    return files


def _is_os_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and getattr(node.value, "id", None) == "os"


def variables_read(tree: ast.AST) -> set[str]:
    """Names in env_*("NAME", ...), os.environ.get("NAME"), os.environ["NAME"] (read) and os.getenv("NAME")."""
    names = set()
    for node in ast.walk(tree):
        argument = None
        if isinstance(node, ast.Call) and node.args:
            function = node.func
            if isinstance(function, ast.Name) and function.id in HELPERS:
                argument = node.args[0]
            elif isinstance(function, ast.Attribute) and function.attr == "get" and _is_os_environ(function.value):
                argument = node.args[0]
            elif isinstance(function, ast.Attribute) and function.attr == "getenv":
                argument = node.args[0]
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_os_environ(node.value):
            argument = node.slice
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            names.add(argument.value)
    return names


def listed() -> dict[str, str]:
    """Each variable of .env.example and its default, from its `# NAME=default` line."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = LINE.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_the_parser_finds_what_settings_and_gunicorn_read():
    settings = variables_read(ast.parse((PROJECT / "luna" / "settings.py").read_text()))
    gunicorn = variables_read(ast.parse((PROJECT / "gunicorn.conf.py").read_text()))
    assert {"DATABASE_URL", "LUNA_THROTTLE_SIGNUP", "LUNA_ENV", "CACHE_URL", "DEBUG"} <= settings
    assert {"GUNICORN_BIND", "GUNICORN_WORKERS", "PROMETHEUS_MULTIPROC_DIR"} <= gunicorn
    sample = 'x = env_number("A", 1)\ny = os.environ.get("B")\nz = os.environ["C"]\nos.environ["D"] = "1"\n'
    assert variables_read(ast.parse(sample)) == {"A", "B", "C"}


def test_every_variable_the_code_reads_is_in_env_example():
    read = set()
    for path in project_files((".py",), SKIPPED):
        if path.name == "conftest.py":
            continue
        read |= {(name, str(path.relative_to(PROJECT))) for name in variables_read(ast.parse(path.read_text()))}
    missing = sorted(f"{name} (read in {where})" for name, where in read if name not in listed())
    assert not missing, f".env.example does not list: {', '.join(missing)}"


def test_each_variable_comes_with_a_line_saying_what_it_means():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for number, line in enumerate(lines):
        if LINE.match(line) and not LINE.match(lines[number - 1]):
            meaning = lines[number - 1].removeprefix("#").strip()
            assert meaning and not meaning.startswith("---"), f"{line!r} has no line saying what it means"


def test_every_variable_it_lists_is_read_somewhere():
    sources = "\n".join(path.read_text() for path in project_files((".py", ".sh"), {"staticfiles"}))
    stale = sorted(name for name in listed() if name not in sources)
    assert not stale, f".env.example lists variables nothing reads: {', '.join(stale)}"


def test_copied_as_it_is_to_env_it_changes_nothing():
    # Every line is a comment: a newcomer's `cp .env.example .env` keeps every default.
    assert all(line == "" or line.startswith("#") for line in ENV_EXAMPLE.read_text().splitlines())
