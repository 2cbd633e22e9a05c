"""Execute the book's notebooks into the jupyter cache, several at a time, before the book build.

    python scripts/execute_book.py              # every notebook of _toc.yml, 2 at a time
    python scripts/execute_book.py --workers 1  # one after another, as jupyter-book would

``jupyter-book build`` (myst-nb's ``cache`` execution mode) executes the notebooks the cache does
not hold one after another, while each chapter's kernel uses one CPU thread in the quick profile
(``unet_course.runtime.use_profile_threads``). This script does the same work first, with
``--workers`` kernels side by side, and stores each result in the same cache
(``_build/.jupyter_cache``) exactly as myst-nb does: the notebook is added to the cache's project,
executed in its own folder with the book's time limit and no errors allowed, and cached under the
hash of its code cells. The build that follows then finds every notebook in the cache and executes
nothing. A notebook that the cache already holds with the same code is not executed again.

A notebook that fails stops nothing else: the script executes the rest, prints the failing
cell's error for each failure and exits with status 1 (the book build would fail on it anyway).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from build_book import CACHE, cached_notebooks, toc_notebooks  # noqa: E402


def _book_execution_settings() -> tuple[int, bool]:
    """The time limit per cell and ``allow_errors`` from ``_config.yml``'s ``execute`` section."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    execute = config.get("execute", {})
    return int(execute.get("timeout", 30)), bool(execute.get("allow_errors", False))


def _execute(path: str, timeout: int, allow_errors: bool) -> tuple[str, object, float, str | None]:
    """Execute one notebook in its folder (in a worker process); return it with its time and error."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=timeout, allow_errors=allow_errors,
                                 meta_override=True)
    return path, result.nb, result.time, result.exc_string if result.err is not None else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="notebooks executed at the same time (default 2)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be >= 1, got {args.workers}")

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.cache.db import NbProjectRecord

    hit, todo = cached_notebooks(toc_notebooks())
    print(f"execute_book.py: {len(hit)} notebooks already in the cache, {len(todo)} to execute "
          f"with {args.workers} worker(s)", flush=True)
    if not todo:
        return 0
    CACHE.mkdir(parents=True, exist_ok=True)
    cache = get_cache(str(CACHE))
    timeout, allow_errors = _book_execution_settings()
    records = {}
    for path in todo:
        record = cache.add_nb_to_project(str(path))
        NbProjectRecord.remove_tracebacks([record.pk], cache.db)
        records[str(path)] = record
    failures = 0
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(_execute, str(p), timeout, allow_errors) for p in todo]
        for future in as_completed(futures):
            path, nb, seconds, error = future.result()
            name = Path(path).relative_to(ROOT)
            if error is not None:
                failures += 1
                NbProjectRecord.set_traceback(records[path].uri, error, cache.db)
                print(f"execute_book.py: {name} FAILED after {seconds:.0f} s:\n{error}", file=sys.stderr, flush=True)
                continue
            cache.cache_notebook_bundle(CacheBundleIn(nb, records[path].uri, data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            print(f"execute_book.py: {name} in {seconds:.0f} s", flush=True)
    print(f"execute_book.py: {len(todo) - failures} of {len(todo)} notebooks executed and cached in "
          f"{time.perf_counter() - start:.0f} s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
