"""The layering of docs/architecture.md holds, and the contracts say what they claim.

``lint-imports`` checks the contracts of ``pyproject.toml``; the other tests here
check the contracts themselves, so that a new package, a new energy module or a
relaxed contract cannot slip past them unnoticed.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src" / "plaza"

#: What no domain module may reach, directly or through any chain of imports.
DRIVERS = {
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "sqlite3",
    "psycopg",
    "httpx",
    "websockets",
    "redis",
    "paho",
}
#: Plaza's own wrappers of a driver count as the driver (the one-writer SQLite kit).
DRIVER_KITS = {"plaza.sqlite"}
#: The packages that are domain (ports, models, rules); each has a driver contract of its own.
DOMAIN_PACKAGES = {
    "crypto",
    "encoding",
    "clock",
    "fanout",
    "ledger",
    "wallet",
    "channels",
    "jobs",
    "notify",
    "market",
}
#: Energy modules that are adapters, not domain: stores (by file name) and SQLite files.
#: The energy apps are ``plaza.api.energy``, their wiring ``plaza.bootstrap``.
ENERGY_ADAPTER_FILES = {"store.py", "store_allowances.py", "store_images.py"}
ENERGY_ADAPTER_MODULES: set[str] = set()


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_package_under_src_is_in_a_layer() -> None:
    """A new package must be placed in the layers on purpose, not slip past the contract."""
    config = (ROOT / "pyproject.toml").read_text()
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and p.name[0] != "_"}
    modules = {p.stem for p in SRC.glob("*.py") if p.stem[0] != "_"}
    unlayered = {name for name in packages | modules if f"plaza.{name}" not in config}
    assert unlayered <= {"testing"}, f"not in any import-linter layer: {sorted(unlayered)}"


def test_no_contract_lets_indirect_imports_through() -> None:
    """A domain module reaching a driver through another module is as bad as importing it."""
    lax = [c["name"] for c in _contracts() if c.get("allow_indirect_imports")]
    assert lax == []


def test_each_domain_package_has_its_own_driver_contract() -> None:
    guarded = {
        source.removeprefix("plaza.")
        for contract in _contracts()
        if contract["type"] == "forbidden" and set(contract["forbidden_modules"]) >= DRIVERS
        for source in contract["source_modules"]
        if source.count(".") == 1
    }
    assert guarded >= DOMAIN_PACKAGES, sorted(DOMAIN_PACKAGES - guarded)


def test_only_adapters_may_import_a_driver_despite_a_contract() -> None:
    """Ignored imports exist only to let a package's own adapters use their driver."""
    for contract in _contracts():
        for ignored in contract.get("ignore_imports", []):
            importer, imported = (side.strip() for side in ignored.split("->"))
            assert imported in DRIVERS | DRIVER_KITS, (contract["name"], ignored)
            assert any(importer.startswith(a) for a in _adapters()), (contract["name"], ignored)


def _adapters() -> list[str]:
    [contract] = [c for c in _contracts() if c["name"].startswith("Domain modules import none")]
    return list(contract["forbidden_modules"])


def test_every_energy_module_is_domain_or_a_named_adapter() -> None:
    """A new energy module lands in the domain contract or is an adapter on purpose."""
    [contract] = [c for c in _contracts() if c["name"].startswith("The energy vertical's domain")]
    domain = set(contract["source_modules"])
    energy = SRC / "energy"
    for path in energy.rglob("*.py"):
        name = ".".join(("plaza", *path.relative_to(SRC).with_suffix("").parts))
        if path.name == "__init__.py":
            name = name.removesuffix(".__init__")
        adapter = path.name in ENERGY_ADAPTER_FILES or name in ENERGY_ADAPTER_MODULES
        if adapter:
            assert name not in domain, f"{name} is an adapter but listed as domain"
        else:
            assert name in domain, f"{name} is in neither the energy domain contract nor adapters"
