"""The Python side keeps its layers: imports only go down (README, "Architecture").

`lib` is plain library code and imports nothing from `defs`, `features` or `cli`; `features`
imports no Dagster definitions and no CLI; `defs` imports no CLI; the sample-data generator
(`devtools`) is imported only by the CLI, never by the product packages below it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

FORBIDDEN = {
    "orchestration.lib": ("orchestration.defs", "orchestration.features", "orchestration.cli",
                          "orchestration.definitions", "devtools"),
    "orchestration.features": ("orchestration.defs", "orchestration.cli", "orchestration.definitions",
                               "devtools"),
    "orchestration.defs": ("orchestration.cli", "devtools"),
}


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_imports_only_go_down(layer: str) -> None:
    files = sorted((REPO / Path(*layer.split("."))).rglob("*.py"))
    assert files, f"no modules under {layer}"
    upward = sorted(
        f"{_module(path)} imports {name}"
        for path in files
        for name in _imports(path)
        if any(_inside(name, banned) for banned in FORBIDDEN[layer])
    )
    assert not upward, upward


def test_no_two_modules_differ_by_a_letter() -> None:
    """One name per concept: no look-alike module names (export/exports, cli/cli_ops)."""
    stems = sorted({p.stem for p in (REPO / "orchestration").rglob("*.py") if p.stem != "__init__"}
                   | {p.name for p in (REPO / "orchestration").rglob("*") if p.is_dir() and p.name != "__pycache__"})

    def close(a: str, b: str) -> bool:
        return a != b and (a.startswith(b) or b.startswith(a)) and abs(len(a) - len(b)) <= 4

    assert not [(a, b) for i, a in enumerate(stems) for b in stems[i + 1:] if close(a, b)]


@pytest.mark.usefixtures("parsed_project")  # the dbt assets read the manifest when imported
def test_every_module_imports_from_this_checkout() -> None:
    """Every module imports, and from this repository: an import left at an old path must fail
    here, not resolve to another installed copy of the package."""
    import importlib
    import pkgutil
    import sys

    import devtools
    import orchestration

    for package in (orchestration, devtools):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)
    elsewhere = {name: module.__file__ for name, module in list(sys.modules.items())
                 if name.split(".")[0] in ("orchestration", "devtools", "expectations")
                 and getattr(module, "__file__", None) and not Path(module.__file__).resolve().is_relative_to(REPO)}
    assert not elsewhere, elsewhere


def test_the_cli_can_prepare_the_manifest_before_the_dbt_assets_load() -> None:
    """The nightly run imports the dbt area's resources (run date, dbt vars) to write
    target/manifest.json; the dbt assets read that file when they load. On a fresh clone (no
    target/) an eager import of the assets crashed `make run` before the manifest existed."""
    code = ("import sys; import orchestration.defs.dbt.resources, orchestration.cli.run; "
            "print('orchestration.defs.dbt.assets' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "False"
