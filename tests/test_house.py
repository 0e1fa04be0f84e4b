"""The house rules of DESIGN.md, checked: imports flow `server → optimization → synthesis`,
nothing below server/ speaks LSP, the server process never imports torch, and what is
installed lives under the one namespace `text2ml`."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"server": "text2ml.server", "synthesis": "text2ml.synthesis",
            "optimization": "text2ml.optimization"}
# what each package may not import: LSP below the server, and nothing from above itself
FORBIDDEN = {
    "synthesis": ("pygls", "lsprotocol", "text2ml.optimization", "text2ml.server"),
    "optimization": ("pygls", "lsprotocol", "text2ml.server"),
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, at any depth (lazy imports count too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
    return found


def is_within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_imports_flow_downward_and_no_lsp_below_the_server(folder: str) -> None:
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for path in sorted((ROOT / folder).rglob("*.py"))
             for line, module in imported_modules(path)
             if any(is_within(module, banned) for banned in FORBIDDEN[folder])]
    assert not wrong, "\n".join(wrong)


def test_product_code_imports_the_namespace_not_the_folders() -> None:
    """`import synthesis` works only from a checkout; installed code is `text2ml.synthesis`."""
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for folder in PACKAGES for path in sorted((ROOT / folder).rglob("*.py"))
             for line, module in imported_modules(path)
             if any(is_within(module, name) for name in PACKAGES)]
    assert not wrong, "\n".join(wrong)


SERVER_IMPORTS = {
    "importing the server": "import text2ml.server.app",
    "building the server": "from text2ml.server.app import build_server; build_server()",
}


@pytest.mark.parametrize("code", list(SERVER_IMPORTS.values()), ids=list(SERVER_IMPORTS))
def test_the_server_process_does_not_import_torch(code: str) -> None:
    check = f"{code}\nimport sys\nprint([m for m in sys.modules if m.split('.')[0] == 'torch'][:3])"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            timeout=600, cwd=ROOT / "tests")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"the server imported torch: {result.stdout}"


def listed_packages() -> set[str]:
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    return set(setup["packages"])


def test_every_package_folder_is_listed_in_pyproject() -> None:
    folders = {PACKAGES[top] + "".join(f".{part}" for part in init.parent.relative_to(
                   ROOT / top).parts)
               for top in PACKAGES for init in (ROOT / top).rglob("__init__.py")}
    missing = sorted(folders - listed_packages())
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_the_wheel_installs_only_the_text2ml_namespace(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, source / name)
    for folder in PACKAGES:
        shutil.copytree(ROOT / folder, source / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path / "wheel"
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
                             "--no-build-isolation", "-q", "-w", str(out)],
                            capture_output=True, text=True, timeout=1200)  # a hang guard
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"text2ml"}, sorted(top)
    assert "text2ml/synthesis/templates/pipeline.py.tmpl" in names
    installed = {name.rsplit("/", 1)[0].replace("/", ".") for name in names
                 if name.endswith("/__init__.py")}
    assert installed == listed_packages()
