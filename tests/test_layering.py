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


def test_one_layers_contract_with_the_vocabulary_at_the_bottom() -> None:
    import tomllib

    data = tomllib.loads((CORE.parent.parent / "pyproject.toml").read_text())
    contracts = data["tool"]["importlinter"]["contracts"]
    layers = [c for c in contracts if c["type"] == "layers"]
    assert len(layers) == 1
    order = layers[0]["layers"]
    assert order[0] == "trainer.cli" and order[-1] == "trainer.vocab"
    assert order.index("trainer.drills") < order.index("firmware_bridge")  # no sources → drills
    qt = [c for c in contracts if "Qt" in c["name"] and c["type"] == "forbidden"
          and "trainer.core" in c["source_modules"] and "PySide6" in c["forbidden_modules"]]
    assert any("trainer.cli" in c["source_modules"] for c in qt)
