"""Project hygiene: the engine and the sandbox stand apart from the app and each other; lint is clean."""

from __future__ import annotations

import ast
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "sync": ("textual", "tui", "sandbox"),
    "sandbox": ("textual", "tui", "sync"),
}


def modules_of(package: str) -> list[str]:
    path = ROOT / package
    names = [package]
    for info in pkgutil.walk_packages([str(path)], prefix=f"{package}."):
        names.append(info.name)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_forbidden(package):
    """Import every module of the package in a clean interpreter and look at sys.modules."""
    forbidden = FORBIDDEN[package]
    code = (
        "import importlib, sys\n"
        f"for name in {modules_of(package)!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted({{m.split('.')[0] for m in sys.modules}} & set({forbidden!r}))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"{package} imports {out.stdout.strip()}"


def test_import_contracts_hold():
    """import-linter checks the same rules statically (pyproject.toml's contracts)."""
    out = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_is_clean():
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_package_type_checks():
    """The engine, the app and the sandbox are typed: mypy (settings in pyproject.toml) finds
    nothing in sync/, tui/ or sandbox/ (the app's screens reach CalsyncApp typed)."""
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "sync", "tui", "sandbox"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


MAX_FUNCTION_LINES = 80


def long_functions(package: Path, limit: int) -> list[str]:
    """Every function (methods and nested ones included) in `package` whose source, from its
    first decorator to its last line, is longer than `limit` lines."""
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = (node.end_lineno or node.lineno) - first + 1
                if lines > limit:
                    found.append(
                        f"{path.relative_to(package.parent)}:{first} {node.name} ({lines})"
                    )
    return found


def test_no_engine_function_is_longer_than_80_lines():
    assert long_functions(ROOT / "sync", MAX_FUNCTION_LINES) == []


def test_long_functions_finds_a_long_one(tmp_path):
    """The check itself: a decorated 81-line function is found, an 80-line one is not."""
    body = "".join(f"    x{i} = {i}\n" for i in range(78))
    (tmp_path / "m.py").write_text(
        f"@staticmethod\ndef long():\n{body}    return x0\n\ndef short():\n{body}    return 1\n"
    )
    assert long_functions(tmp_path, MAX_FUNCTION_LINES) == [f"{tmp_path.name}/m.py:1 long (81)"]


CITATION = re.compile(r'design\.md\)?,?\s*\(?"([A-Z][^"\n]+)"')


def test_citations_of_the_design_name_its_sections():
    """Code, tests and docs point at docs/design.md by section: each named section is there."""
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    headings = [line.lstrip("#").strip() for line in design.splitlines() if line.startswith("#")]
    files = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    for package in ("sync", "tui", "sandbox", "tests"):
        files += (ROOT / package).rglob("*.py")
    cited = {
        (path.relative_to(ROOT).as_posix(), name)
        for path in files
        for name in CITATION.findall(path.read_text(encoding="utf-8"))
    }
    assert len(cited) >= 5  # the pattern still finds the citations
    missing = [
        (path, name) for path, name in cited if not any(h.startswith(name) for h in headings)
    ]
    assert missing == []
