#!/usr/bin/env bash
# Download the wheels a bare GPU machine needs to run the course's full profile (`make test-gpu`)
# without reaching a package index: the notebook tools (jupyterlab, ipykernel, nbval, ipywidgets)
# and every dependency of theirs, plus the course's own pinned dependencies except torch (the GPU
# machine keeps its CUDA build of torch and NVIDIA libraries). Versions are those of
# requirements.txt and requirements-bench.txt.
#
# Run it where PyPI can be reached; it fills .whl/ (git-ignored). Carry the repository with .whl/
# to the GPU machine and install there, offline:
#
#     python -m pip install --no-index --find-links .whl -r .whl/requirements-gpu.txt
#     python -m pip install --no-index --find-links .whl --no-deps -r .whl/requirements-nodeps.txt
#     python -m pip install --no-index --find-links .whl --no-deps --no-build-isolation \
#         --no-binary elasticdeform elasticdeform==0.5.1
#     python -m pip install --no-deps --no-build-isolation -e .
#
# elasticdeform comes as its source archive and is compiled there (a C compiler is needed): its
# wheel on PyPI was built against NumPy 1 and does not import with NumPy 2 (see the Makefile).
#
# Settings (environment variables):
#   PYVER=312      CPython version of the GPU machine (cp312)
#   PLATFORMS="manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64"
#                  wheel platform tags the GPU machine accepts (its glibc must be >= 2.28 for
#                  the first; drop it for an older system)
#   DEST=.whl      where the wheels go
#   ONLY_NOTEBOOK_TOOLS=1
#                  only the notebook tools, for a machine that already has numpy, scipy,
#                  scikit-image, matplotlib and the rest of requirements.txt
set -euo pipefail

cd "$(dirname "$0")/.."
PYVER="${PYVER:-312}"
PLATFORMS="${PLATFORMS:-manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64}"
DEST="${DEST:-.whl}"
PY="${PYTHON:-python3}"
if [ -x .venv/bin/python ]; then PY=.venv/bin/python; fi

tools="ipykernel|ipywidgets|nbval|nbclient|nbformat|pytest|jupyterlab"
# installed without their dependencies: stardist ships the nuclei image (its own dependencies
# are ~600 MB and unused); monai's only dependencies are torch and numpy.
nodeps="stardist|monai"

mkdir -p "$DEST"
with_deps="$DEST/requirements-gpu.txt"
without_deps="$DEST/requirements-nodeps.txt"
{
  echo "# written by scripts/gpu_wheels.sh: install with --no-index --find-links $DEST"
  grep -E "^(${tools})==" requirements.txt
  if [ "${ONLY_NOTEBOOK_TOOLS:-0}" != 1 ]; then
    grep -E '^[A-Za-z0-9_.-]+==' requirements.txt | grep -Ev "^(torch|${tools}|${nodeps})=="
    echo "setuptools"  # to build elasticdeform from source without build isolation
  fi
} > "$with_deps"
{
  echo "# written by scripts/gpu_wheels.sh: install with --no-index --find-links $DEST --no-deps"
  if [ "${ONLY_NOTEBOOK_TOOLS:-0}" != 1 ]; then
    echo "stardist==0.9.2"
    grep -E '^monai==' requirements-bench.txt
  fi
} > "$without_deps"

platform_args=()
for p in $PLATFORMS; do platform_args+=(--platform "$p"); done
target=(--only-binary=:all: --python-version "$PYVER" --implementation cp --abi "cp${PYVER}" "${platform_args[@]}")

echo "downloading wheels for cp${PYVER} (${PLATFORMS}) into ${DEST}/:"
grep -hv '^#' "$with_deps" "$without_deps" | sed 's/^/  /'
"$PY" -m pip download --quiet --dest "$DEST" "${target[@]}" -r "$with_deps"
if grep -qv '^#' "$without_deps"; then
  "$PY" -m pip download --quiet --dest "$DEST" --no-deps "${target[@]}" -r "$without_deps"
  "$PY" -m pip download --quiet --dest "$DEST" --no-deps --no-build-isolation --no-binary :all: elasticdeform==0.5.1
fi
if find "$DEST" -name 'torch-*.whl' -o -name 'nvidia_*.whl' | grep -q .; then
  echo "warning: a torch or NVIDIA wheel was downloaded; the GPU machine's own torch should stay" >&2
fi
echo "done: $(find "$DEST" -name '*.whl' | wc -l) wheels, $(du -sh "$DEST" | cut -f1) in ${DEST}/"
echo "on the GPU machine:"
echo "  python -m pip install --no-index --find-links ${DEST} -r ${with_deps}"
echo "  python -m pip install --no-index --find-links ${DEST} --no-deps -r ${without_deps}"
echo "  python -m pip install --no-index --find-links ${DEST} --no-deps --no-build-isolation --no-binary elasticdeform elasticdeform==0.5.1"
echo "  python -m pip install --no-deps --no-build-isolation -e ."
