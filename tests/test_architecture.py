"""The folders show the architecture, and the imports run one way:

    cli/, web/  ->  services/  ->  io/, store/, and the core
    core: screening/, filing/, documents/, tracking/, proof/, interview/, rules/, accounts/,
          and the kernel (case, errors, countries, dates, isodate, text)

The core never imports a face, a service or the store. The core's few imports of io/ that
remain are listed below with why; the list only shrinks (a new one fails this test)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "cocflow"
CORE = {"screening", "filing", "documents", "tracking", "proof", "interview", "rules", "accounts"}
KERNEL = {"case", "errors", "countries", "dates", "isodate", "text"}
FACES = {"cli", "web"}

# Known exceptions, each to be removed by the work that removes its reason.
ALLOWED = {
    # The rules loader is the rules' own edge: it reads the data files.
    ("rules", "io"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cocflow."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("cocflow.")}
    return found


def _area(path: Path) -> str:
    part = path.relative_to(PACKAGE).parts
    return part[0] if len(part) > 1 else path.stem


def test_the_package_has_no_loose_modules_but_the_kernel() -> None:
    loose = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert loose == KERNEL


def test_imports_run_one_way() -> None:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        area = _area(path)
        for target in _imports(path) - {area}:
            if area in KERNEL:
                assert target in KERNEL, f"{path.name}: the kernel imports {target}"
            elif area in CORE:
                assert target not in FACES | {"services", "store"}, f"{path}: core -> {target}"
                if target == "io":
                    found.add((area, target))
            elif area in {"io", "store"}:
                assert target not in FACES | {"services"}, f"{path}: edge -> {target}"
            elif area == "services":
                assert target not in FACES, f"{path}: service -> {target}"
    assert found <= ALLOWED, f"new imports from the core into io/: {found - ALLOWED}"
