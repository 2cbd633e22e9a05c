"""The package's structure: one home for each job (see CONTRIBUTING.md, "Where things live").

These checks keep the layout honest as chapters are added: the package docstring is the map a
reader opens first, so it must name real modules and every subpackage; inference has one home
(``tiling``); switching to evaluation mode goes through ``runtime.eval_mode``; and no module
grows past what one reader can hold in mind.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import unet_course

PACKAGE = Path(unet_course.__file__).resolve().parent
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "questions" not in p.parts)
LONGEST = 560  # lines


def _module_exists(name: str) -> bool:
    path = PACKAGE.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_package_docstring_names_only_modules_that_exist():
    named = re.findall(r"^- ``([a-z_.]+)``|; ``([a-z_.]+)``|and ``([a-z_]+)``:", unet_course.__doc__, flags=re.M)
    names = {n for group in named for n in group if n}
    assert names, "the package docstring should list its modules as '- ``name``: ...'"
    missing = sorted(n for n in names if not _module_exists(n))
    assert not missing, f"the package docstring names modules that do not exist: {missing}"


def test_package_docstring_lists_every_subpackage():
    subpackages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    unlisted = [name for name in subpackages if f"``{name}``" not in unet_course.__doc__]
    assert not unlisted, f"add these subpackages to the package docstring: {unlisted}"


def test_no_module_is_longer_than_one_reader_can_hold():
    long = {str(p.relative_to(PACKAGE)): n for p in SOURCES
            if (n := len(p.read_text().splitlines())) >= LONGEST}
    assert not long, f"split these modules (over {LONGEST} lines): {long}"


def test_inference_has_one_home():
    """Every prediction goes through unet_course.tiling (overlap-tile, paper Fig. 2)."""
    outside = []
    for path in SOURCES:
        if path.name == "tiling.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("predict"):
                outside.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert not outside, f"predict* functions belong in tiling.py: {outside}"


def test_eval_mode_is_switched_in_few_places():
    """runtime.eval_mode switches a model to evaluation mode and back; .eval() stays rare."""
    calls = [f"{p.relative_to(PACKAGE)}:{i}" for p in SOURCES
             for i, line in enumerate(p.read_text().splitlines(), 1) if ".eval()" in line.split("#")[0]]
    assert len(calls) <= 4, f"use unet_course.runtime.eval_mode instead of .eval() here: {calls}"


@pytest.mark.parametrize("old", ["ops.py", "augment.py", "boundary.py", "viz.py", "viz_data.py", "viz_unet.py",
                                 "experiments.py", "experiments_augment.py", "fcn_experiment.py"])
def test_no_module_left_at_an_old_path(old):
    assert not (PACKAGE / old).exists(), f"{old} moved into a subpackage; remove the old file"


def test_metrics_convert_their_inputs_in_one_place():
    converters = [p.name for p in sorted((PACKAGE / "metrics").glob("*.py"))
                  if p.name != "_inputs.py" and ".detach().cpu().numpy()" in p.read_text()]
    assert not converters, f"metrics modules converting tensors themselves (use metrics._inputs.as_numpy): {converters}"


# What a docstring names so a reader can find the idea in the paper or the book (d2l's habit).
_SERVES = re.compile(r"§|\bFig\.|\beq\.|\bTable\b|\bchapters?\s+\d\d|\bch\s+\d\d|\bappendix\b", re.IGNORECASE)


def _public_objects():
    for path in SOURCES:
        rel = path.relative_to(PACKAGE).as_posix()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                yield rel, node.name, ast.get_docstring(node) or ""


def test_every_public_object_names_its_paper_section_or_chapter():
    missing = [f"{rel}: {name}" for rel, name, doc in _public_objects() if not _SERVES.search(doc)]
    assert not missing, (
        "say in the docstring which paper section (§, Fig., eq., Table) or chapter ('chapter NN', 'ch NN', "
        f"'appendix') each public object serves: {missing}"
    )


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports anywhere (module level or inside functions)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def known(dotted: str) -> str | None:  # the longest prefix that is a module of the package
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(known(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:  # ``from . import runtime`` imports the module runtime
                found.add(known(f"{base}.{alias.name}") if f"{base}.{alias.name}" in modules else known(base))
    return found - {None, name}


def test_no_two_modules_import_each_other():
    """Dependencies go one way: a pair of modules that import each other (even inside a function)
    is one job split in two or a helper in the wrong home."""
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    imports = {_module_name(p): _imported_modules(p, modules) for p in paths}
    assert imports["unet_course.data.targets"] >= {"unet_course.weightmap"}, "the import parser misses imports"
    mutual = sorted({tuple(sorted((a, b))) for a, used in imports.items() for b in used if a in imports.get(b, ())})
    assert not mutual, f"these modules import each other; let the dependency go one way: {mutual}"
