"""Time every chapter: execute each notebook with nbclient and write a Markdown table.

    python scripts/chapter_timings.py                     # the chapters of _toc.yml, in order
    python scripts/chapter_timings.py notebooks/06_*.ipynb --repeat 2

Each notebook is executed in memory (the file is not rewritten) in a fresh ``python3`` kernel,
and its wall-clock time, start of the kernel included, is recorded under the column of the
machine it ran on: "CPU, quick profile" or "GPU, full profile" (``unet_course.runtime`` decides,
so ``UNET_COURSE_PROFILE`` is honoured). The measurements accumulate in ``book/_timings.json``,
so a run on a CPU machine and one on a GPU machine fill the two columns, and
``book/_timings.md`` is rewritten from it for the preface to include::

    ```{include} _timings.md
    ```

With ``--repeat N`` the fastest of N runs is kept (the others are noise from other load).

``--from-gpu-check DIR/times.json`` fills the GPU column from a ``make gpu-check`` run instead
(the nbval time of each chapter that passed; nbval's start included), without executing anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = {"cpu": "CPU, quick profile", "gpu": "GPU, full profile"}


def toc_notebooks() -> list[Path]:
    entries = re.findall(r"(?:file|root):\s*([\w./-]+)", (ROOT / "_toc.yml").read_text())
    return [ROOT / f"{e}.ipynb" for e in entries if (ROOT / f"{e}.ipynb").is_file()]


def machine() -> tuple[str, str]:
    """(column key, description) of this machine, as the notebooks' runtime sees it."""
    import torch

    from unet_course import runtime

    device, profile = runtime.device().type, runtime.profile()
    key = {("cpu", "quick"): "cpu", ("cuda", "full"): "gpu"}.get((device, profile))
    if key is None:
        raise SystemExit(
            f"this machine runs the {profile} profile on {device}; the table reports the quick profile "
            "on a CPU and the full profile on a GPU (unset UNET_COURSE_PROFILE)"
        )
    if key == "gpu":
        return key, torch.cuda.get_device_name(0)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return key, f"{platform.processor() or platform.machine()}, {cores} cores"


def run_once(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "not measured yet"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def title(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if found:
                return found.group(1).strip()
    return path.stem


def table(data: dict, chapters: list[Path]) -> str:
    lines = [
        f"| chapter | {COLUMNS['cpu']} | {COLUMNS['gpu']} |",
        "|---|---:|---:|",
    ]
    for path in chapters:
        row = [data.get(key, {}).get("chapters", {}).get(path.stem) for key in COLUMNS]
        lines.append(f"| {title(path)} | {fmt(row[0])} | {fmt(row[1])} |")
    notes = [
        f"{COLUMNS[key]}: {data[key]['machine']} (measured {data[key]['date']})" for key in COLUMNS if key in data
    ]
    lines += ["", "Wall-clock time of a whole notebook, kernel start included, by "
              "`scripts/chapter_timings.py`. " + "; ".join(notes) + "."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every chapter in _toc.yml")
    parser.add_argument("--repeat", type=int, default=1, help="keep the fastest of this many runs")
    parser.add_argument("--timeout", type=int, default=900, help="seconds a cell may take")
    parser.add_argument("--store", type=Path, default=ROOT / "book" / "_timings.json")
    parser.add_argument("--out", type=Path, default=ROOT / "book" / "_timings.md")
    parser.add_argument("--from-gpu-check", type=Path, default=None, metavar="TIMES_JSON",
                        help="take the GPU column from the times.json of `make gpu-check` (nothing is executed)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.from_gpu_check is not None:
        if not args.from_gpu_check.is_file():
            parser.error(f"{args.from_gpu_check} does not exist; give the times.json that `make gpu-check OUT=dir` wrote")
        check = json.loads(args.from_gpu_check.read_text())
        passed = {stem: r["seconds"] for stem, r in check.get("chapters", {}).items() if r.get("status") == "passed"}
        if not passed:
            parser.error(f"{args.from_gpu_check} holds no chapter that passed")
        data = json.loads(args.store.read_text()) if args.store.is_file() else {}
        entry = data.setdefault("gpu", {"chapters": {}})
        entry.update(machine=check["device"], date=check["date"][:10])
        entry["chapters"].update(passed)
        args.store.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        markdown = table(data, toc_notebooks())
        args.out.write_text(markdown)
        print(f"{markdown}\nwritten to {args.out} ({len(passed)} chapters from {args.from_gpu_check})")
        return 0

    notebooks = [p.resolve() for p in args.notebooks] or toc_notebooks()
    if not notebooks:
        parser.error("no notebook given and none listed in _toc.yml")
    key, description = machine()
    data = json.loads(args.store.read_text()) if args.store.is_file() else {}
    entry = data.setdefault(key, {"chapters": {}})
    entry.update(machine=description, date=dt.date.today().isoformat())
    for path in notebooks:
        seconds = min(run_once(path, args.timeout) for _ in range(args.repeat))
        entry["chapters"][path.stem] = round(seconds, 1)
        print(f"{path.name}: {seconds:.1f} s ({COLUMNS[key]})", flush=True)
        args.store.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")

    markdown = table(data, toc_notebooks() or notebooks)
    args.out.write_text(markdown)
    print(f"\n{markdown}\nwritten to {args.out} (data in {args.store})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
