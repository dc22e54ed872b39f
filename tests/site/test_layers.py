"""The layers hold: import-linter's contracts in pyproject.toml (every import points down: the
write path never imports a page, pages never import the write path, formats never import
rendering, billing never imports the log list) pass on the real tree, and a tree that breaks
one of them, through a module in between, fails."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd, *args):
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo", *args],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _contracts():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _package_tree(root, modules):
    """Packages and modules under root, each module's text as given (dotted names; every
    parent becomes a package)."""
    for name, text in modules.items():
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            package = root.joinpath(*parts[:depth])
            package.mkdir(exist_ok=True)
            (package / "__init__.py").touch()
        (root.joinpath(*parts) / "__init__.py").write_text(text)


def test_the_real_tree_keeps_every_contract():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_write_path_that_reaches_a_page_through_another_module_breaks_its_contract(tmp_path):
    config = _contracts()
    named = {m for c in config["contracts"] for m in c["source_modules"]}
    named |= {m for c in config["contracts"] for m in c["forbidden_modules"]}
    modules = dict.fromkeys(named | set(config["root_packages"]), "")
    # logs.ingest imports logs.search, which imports the log list: an indirect import.
    modules["logs.ingest"] = "import logs.search\n"
    modules["logs.search"] = "import logs.listing\n"
    _package_tree(tmp_path, modules)
    # The real contracts, in a config of their own (TOML takes Python's quoted strings).
    text = f"[tool.importlinter]\nroot_packages = {config['root_packages']!r}\n"
    for contract in config["contracts"]:
        text += "\n[[tool.importlinter.contracts]]\n"
        text += "".join(f"{key} = {value!r}\n" for key, value in contract.items())
    (tmp_path / "layers.toml").write_text(text)

    result = _lint_imports(tmp_path, "layers.toml")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "The write path never imports a page BROKEN" in result.stdout
    assert "logs.ingest -> logs.search" in result.stdout
    assert f"{len(config['contracts']) - 1} kept, 1 broken" in result.stdout
