"""The package as a user installs it: pyproject.toml declares what the package imports, every
declared bound holds in the pinned environment (constraints.txt), requirements.txt agrees with
constraints.txt, and ``pip install -c constraints.txt .`` into a fresh virtual environment gives a
working ``unet-course`` command (train, segment, evaluate).

The last test (marked ``install``) resolves pyproject.toml for real and takes about a minute
(longer the first time, while pip fills its cache); ``pytest -m "not install"`` skips it. It
never lets pip fetch a CUDA build of torch: it stops with a message when torch would not resolve
to the CPU build.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tomllib
import venv
from importlib.metadata import packages_distributions
from pathlib import Path

import numpy as np
import pytest
import tifffile
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from unet_course.data import synthetic_cells

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "unet_course"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])
# read as data through importlib.util.find_spec, never imported; optional, with an install hint
DATA_ONLY = {"stardist", "koreanize-matplotlib"}


def _pins(path: Path) -> dict[str, str]:
    """``name == version`` lines of a requirements or constraints file: {canonical name: version}."""
    pins: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", (
            f"{path.name}:{number}: {line!r} is not an exact pin (name==version)")
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"{path.name}:{number}: {name} is pinned twice"
        pins[name] = specifiers[0].version
    return pins


CONSTRAINTS = _pins(ROOT / "constraints.txt")


def declared() -> dict[str, list[Requirement]]:
    """pyproject.toml's requirements: ``{"": dependencies, extra: requirements of the extra}``."""
    project = PYPROJECT["project"]
    groups = {"": project["dependencies"], **project.get("optional-dependencies", {})}
    return {group: [Requirement(r) for r in requirements] for group, requirements in groups.items()}


def third_party_imports() -> dict[str, dict[str, list[str]]]:
    """Top-level names of the non-stdlib modules unet_course imports, split by where:
    ``{"module": {name: [files]}, "function": {name: [files]}}`` (inside a def = "function")."""
    found: dict[str, dict[str, list[str]]] = {"module": {}, "function": {}}

    def visit(node: ast.AST, where: str, file: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = "function" if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else where
            names = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("__future__", "unet_course"):
                    found[where].setdefault(top, []).append(file)
            visit(child, inner, file)

    for path in sorted(PACKAGE.rglob("*.py")):
        visit(ast.parse(path.read_text(encoding="utf-8")), "module", path.relative_to(ROOT).as_posix())
    return found


def test_constraints_pin_one_release_of_every_package():
    assert "torch" in CONSTRAINTS and "numpy" in CONSTRAINTS, "constraints.txt lost its pins"
    local = {name: version for name, version in CONSTRAINTS.items() if Version(version).local}
    assert not local, f"constraints.txt pins local builds {local}; pin the public version (torch==2.13.0)"
    assert PROJECT not in CONSTRAINTS and "pip" not in CONSTRAINTS, "constraints.txt pins the project itself or pip"


@pytest.mark.parametrize("requirements", ["requirements.txt", "requirements-bench.txt"])
def test_requirements_agree_with_constraints(requirements):
    pins = _pins(ROOT / requirements)
    assert pins, f"{requirements} pins nothing"
    if requirements == "requirements.txt":  # the benchmark's extras are not part of the book's environment
        missing = sorted(set(pins) - set(CONSTRAINTS))
        assert not missing, f"{requirements} pins {missing}, which constraints.txt lacks: make venv, then regenerate it"
    differ = {name: (version, CONSTRAINTS[name]) for name, version in pins.items()
              if name in CONSTRAINTS and Version(version) != Version(CONSTRAINTS[name])}
    assert not differ, f"{requirements} and constraints.txt pin different releases (requirements, constraints): {differ}"


def test_every_declared_dependency_holds_in_the_pinned_environment():
    """Each requirement of pyproject.toml is pinned, and its bounds contain the pin: constraints.txt's,
    or for the ``bench`` extra requirements-bench.txt's (installed on top by ``make bench``)."""
    for group, requirements in declared().items():
        where = f"[{group}]" if group else "dependencies"
        pins, source = CONSTRAINTS, "constraints.txt"
        if group == "bench":
            pins, source = {**CONSTRAINTS, **_pins(ROOT / "requirements-bench.txt")}, "constraints.txt + requirements-bench.txt"
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            if name == PROJECT:
                assert requirement.extras <= set(declared()), f"{where}: {requirement} names an undefined extra"
                continue
            assert name in pins, f"pyproject.toml {where}: {requirement} is not pinned in {source}"
            assert requirement.specifier.contains(pins[name], prereleases=True), (
                f"pyproject.toml {where}: {requirement} does not hold for {source}'s {name}=={pins[name]}")


def test_every_import_of_the_package_is_declared():
    """An import the package makes (even inside a function) names a distribution in pyproject.toml:
    a module-level import in ``dependencies``, a function-level one there or in an extra."""
    groups = declared()
    core = {canonicalize_name(r.name) for r in groups[""]}
    anywhere = {canonicalize_name(r.name) for requirements in groups.values() for r in requirements}
    distributions = packages_distributions()
    imports = third_party_imports()
    assert {"torch", "numpy", "PIL"} <= set(imports["module"]) | set(imports["function"]), "the import scan found too little"
    problems = []
    for where, names in imports.items():
        for name, files in sorted(names.items()):
            owners = {canonicalize_name(d) for d in distributions.get(name, [])}
            if not owners:
                problems.append(f"{name} (imported in {files[0]}) belongs to no installed distribution")
            elif not owners & (core if where == "module" else anywhere):
                problems.append(f"{name} ({'/'.join(sorted(owners))}, imported at {where} level in {files[0]}) is not declared")
    assert not problems, "pyproject.toml misses imports of the package: " + "; ".join(problems)
    for name in DATA_ONLY:
        assert name not in core, f"{name} is optional data; keep it out of the core dependencies"


def test_console_script_is_declared():
    assert PYPROJECT["project"]["scripts"] == {"unet-course": "unet_course.cli:main"}


# --- the real installation -----------------------------------------------------------------------

def _run(command: list, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _ok(result: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    assert result.returncode == 0, (
        f"{what} exited with {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with ``pip install -c constraints.txt .``; its bin folder."""
    root = tmp_path_factory.mktemp("install")
    # a copy of what the source distribution holds: setuptools builds in the source folder (build/)
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "unet_course", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "-c", ROOT / "constraints.txt"]
    # resolve first, download nothing: torch must come as the CPU build (a CUDA build is gigabytes)
    report = root / "report.json"
    _ok(_run([*pip, "--dry-run", "--report", report, source], cwd=root), "pip install --dry-run")
    chosen = {canonicalize_name(item["metadata"]["name"]): item for item in json.loads(report.read_text())["install"]}
    torch_version = chosen["torch"]["metadata"]["version"]
    if Version(torch_version).local != "cpu":
        pytest.fail(
            f"pip would install torch {torch_version} ({chosen['torch']['download_info']['url']}), not the CPU build; "
            "offer the CPU wheel first: PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu (README.md)")
    # --no-compile: byte-compiling torch's thousands of modules costs more than the test saves
    _ok(_run([*pip, "--no-compile", source], cwd=root), "pip install -c constraints.txt .")
    return env_dir / "bin"


@pytest.mark.install
def test_installed_package_trains_segments_and_evaluates(installed, tmp_path):
    located = _ok(_run([installed / "python", "-c", "import unet_course, torch; print(unet_course.__file__, torch.__version__)"],
                       cwd=tmp_path), "import unet_course")
    where, torch_version = located.stdout.split()
    assert Path(where).is_relative_to(installed.parent), f"unet_course came from {where}, not the fresh environment"
    assert torch_version.endswith("+cpu"), torch_version
    checkpoints = Path(where).parent / "checkpoints"
    assert sorted(checkpoints.glob("*.pt")) == [checkpoints / p.name for p in sorted((PACKAGE / "checkpoints").glob("*.pt"))], (
        "the shipped checkpoints are not installed with the package (tool.setuptools.package-data)")
    korean = _ok(_run([installed / "python", "-c", "from unet_course.quiz.catalog import translate; print(translate('Correct.'))"],
                      cwd=tmp_path), "the quiz's Korean catalog")
    assert korean.stdout.strip() == "정답입니다.", (
        "the quiz's compiled Korean catalog (unet_course/locale) is not installed with the package (package-data)")

    command = installed / "unet-course"
    helped = _ok(_run([command, "--help"], cwd=tmp_path), "unet-course --help")
    assert all(word in helped.stdout for word in ("train", "segment", "evaluate")), helped.stdout

    samples = [synthetic_cells(64, 8, seed=seed) for seed in range(2)]
    raw = np.stack([(s.image * 3000 + 100).astype(np.uint16) for s in samples])
    labels = np.stack([s.instances.astype(np.uint16) for s in samples])
    tifffile.imwrite(tmp_path / "images.tif", raw, photometric="minisblack")
    tifffile.imwrite(tmp_path / "labels.tif", labels, photometric="minisblack")

    _ok(_run([command, "train", "images.tif", "labels.tif", "--out", "model.pt", "--steps", "3", "--eval-every", "3",
              "--base-channels", "4", "--depth", "2", "--tile", "64", "--device", "cpu", "--quiet"], cwd=tmp_path),
        "unet-course train")
    assert (tmp_path / "model.pt").is_file()
    _ok(_run([command, "segment", "model.pt", "images.tif", "--out", "predicted", "--quiet"], cwd=tmp_path),
        "unet-course segment")
    predicted = tifffile.imread(tmp_path / "predicted" / "images.tif")
    assert predicted.shape == labels.shape and np.issubdtype(predicted.dtype, np.integer), (predicted.shape, predicted.dtype)
    scores = json.loads(_ok(_run([command, "evaluate", "predicted/images.tif", "labels.tif", "--json"], cwd=tmp_path),
                            "unet-course evaluate").stdout)
    assert len(scores["per_image"]) == 2 and 0.0 <= scores["pooled"]["iou"] <= 1.0, scores
    truth = sum(len(np.unique(frame)) - 1 for frame in labels)
    assert scores["pooled"]["true"] == truth, (scores["pooled"], truth)

    refused = _run([command, "evaluate", "predicted/images.tif", "missing.tif"], cwd=tmp_path)
    assert refused.returncode == 2 and "missing.tif" in refused.stderr, (refused.returncode, refused.stderr)
