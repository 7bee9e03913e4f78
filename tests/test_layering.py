"""trainer.core stays pure: import-linter checks imports; this checks file-I/O calls by AST."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "trainer" / "core"
FORBIDDEN_CALLS = {"open", "fromfile", "tofile", "memmap", "load", "save", "savez", "loadtxt",
                   "genfromtxt", "savetxt", "loadmat", "savemat"}


def test_core_does_no_file_io() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in FORBIDDEN_CALLS:
                    offenders.append(f"{path.name}:{node.lineno} {name}()")
    assert not offenders, "file I/O in trainer/core: " + ", ".join(offenders)


def test_import_linter_contract_is_configured() -> None:
    text = (CORE.parent.parent / "pyproject.toml").read_text()
    assert 'source_modules = ["trainer.core"]' in text
    for mod in ("PySide6", "pyqtgraph", "bleak"):
        assert f'"{mod}"' in text
