"""The whole course on one CUDA GPU in under ten minutes: unit tests, every chapter under nbval in
the full profile, and the benchmarks bounded to two minutes (``make gpu-check OUT=dir``).

    python scripts/gpu_check.py --out gpu-check-out [--skip-bench] [--only 05,09]

Without a CUDA device it says so and exits with status 2 within seconds, before any work. It needs
no package index: the notebook tools come as wheels (``scripts/gpu_wheels.sh``, see CONTRIBUTING.md).
Every step has its own time limit, and the steps together stay under ``--limit`` seconds (600):

- unit tests: ``pytest tests`` in the full profile, without the browser tests and without the
  learner's-edition run of every chapter (a quick-profile check that ``make test`` does on a CPU);
- nbval over every notebook in ``notebooks/`` in one pytest run (``--nbval-lax``, the course's
  sanitizer; each cell limited by ``--cell-seconds``), each chapter's time taken from the JUnit
  report beside its estimate in ``book/_gpu_budget.json`` (``scripts/gpu_budget.py``);
- ``benchmarks/run_all.py --quick`` limited to 2 minutes (no Rand-error training run).

The folder given by ``--out`` receives one log per step (``unit_tests.log``, ``nbval.log`` with
``nbval.xml``, ``bench.log``), ``times.json`` (device, date, seconds and status of every step and chapter, next to
the estimate), the benchmark table ``bench.md`` with its chart ``bench.png``, and ``summary.md``.
The exit status is 0 when every step passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NO_CUDA = 2


def cuda_or_exit() -> str:
    """The GPU's name, or exit with status 2 and a message saying why there is none."""
    try:
        import torch
    except ImportError:
        print("gpu-check: PyTorch is not installed in this Python; install the CUDA build of torch first",
              file=sys.stderr)
        raise SystemExit(NO_CUDA) from None
    if not torch.cuda.is_available():
        built = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        hint = f"; CUDA_VISIBLE_DEVICES={visible!r} hides the devices" if visible is not None else ""
        print(f"gpu-check: no CUDA device (torch.cuda.is_available() is False; torch {torch.__version__}, {built}{hint}). "
              "It needs an NVIDIA GPU and a CUDA build of PyTorch; on a CPU, `make test` runs the quick profile.",
              file=sys.stderr)
        raise SystemExit(NO_CUDA)
    return torch.cuda.get_device_name(0)


def tools_or_exit() -> None:
    """Exit with status 2 when the notebook tools are missing, naming the wheels script."""
    import importlib.util

    missing = [m for m in ("pytest", "nbval", "ipykernel", "nbclient") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"gpu-check: {', '.join(missing)} not installed; on a machine without a package index install the "
              "wheels that scripts/gpu_wheels.sh prepares (CONTRIBUTING.md, 'The full profile on a GPU machine')",
              file=sys.stderr)
        raise SystemExit(NO_CUDA)


def run(command: list[str], log: Path, timeout: float, env: dict[str, str]) -> tuple[str, float]:
    """Run ``command`` with its output in ``log``; ``("passed" | "failed" | "timeout", seconds)``.
    On a timeout the whole process group (the kernel too) is stopped."""
    start = time.perf_counter()
    with log.open("w") as out:
        out.write("$ " + " ".join(command) + f"\n# time limit {timeout:.0f} s\n")
        out.flush()
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=max(timeout, 1.0))
            status = "passed" if code == 0 else "failed"
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)  # pytest stops and still writes its report
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # the kernel and anything else left
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            status = "timeout"
            out.write(f"\n# stopped: over the time limit of {timeout:.0f} s\n")
    return status, time.perf_counter() - start


def chapter_results(junit: Path) -> dict[str, dict]:
    """``{notebook stem: {"status", "seconds", "cells", "failed"}}`` from nbval's JUnit report."""
    import xml.etree.ElementTree as ET

    if not junit.is_file():
        return {}
    out: dict[str, dict] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        stem = case.get("classname", "").removesuffix(".ipynb").split(".")[-1]  # notebooks.NN_name.ipynb
        r = out.setdefault(stem, {"status": "passed", "seconds": 0.0, "cells": 0, "failed": 0})
        r["seconds"] = round(r["seconds"] + float(case.get("time", 0.0)), 1)
        r["cells"] += 1
        if case.find("failure") is not None or case.find("error") is not None:
            r["failed"] += 1
            r["status"] = "failed"
    return out


def estimates() -> dict[str, float]:
    path = ROOT / "book" / "_gpu_budget.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return {row["chapter"]: float(row["total_s"]) for row in data["chapters"]} | {"unit_tests": data["unit_tests_s"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the logs, times.json and the benchmark table")
    parser.add_argument("--limit", type=float, default=600.0, help="seconds for everything (default 600)")
    parser.add_argument("--bench-seconds", type=float, default=120.0, help="seconds for the benchmarks (default 120)")
    parser.add_argument("--skip-bench", action="store_true", help="no benchmarks")
    parser.add_argument("--skip-unit", action="store_true", help="no unit tests")
    parser.add_argument("--cell-seconds", type=float, default=300.0, help="seconds a notebook cell may take (default 300)")
    parser.add_argument("--only", default="", help="comma-separated chapter numbers (default: every notebook)")
    parser.add_argument("--cpu", action="store_true",
                        help="to test this script without a GPU: run the steps on the CPU anyway (in the full profile "
                             "only chapters 01, 03, 05 and 10 finish in reasonable time there)")
    args = parser.parse_args(argv)

    began = time.perf_counter()
    device = "CPU (--cpu: testing gpu_check itself)" if args.cpu else cuda_or_exit()
    tools_or_exit()
    args.out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "UNET_COURSE_PROFILE": "full", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    py = sys.executable
    guess = estimates()
    only = {c.strip().zfill(2) for c in args.only.split(",") if c.strip()}
    notebooks = [p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) if not only or p.name[:2] in only]
    bench_reserve = 0.0 if args.skip_bench else args.bench_seconds + 5
    report = {"device": device, "date": dt.datetime.now().isoformat(timespec="seconds"), "limit_s": args.limit,
              "python": sys.version.split()[0], "unit_tests": None, "chapters": {}, "bench": None}

    def left() -> float:
        return args.limit - (time.perf_counter() - began)

    def save() -> None:
        report["total_s"] = round(time.perf_counter() - began, 1)
        (args.out / "times.json").write_text(json.dumps(report, indent=1) + "\n")

    print(f"gpu-check on {device}: logs in {args.out}/", flush=True)
    if not args.skip_unit:
        limit = min(150.0, left() - bench_reserve)  # the notebooks get what is left
        status, seconds = run([py, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", "--ignore=tests/browser",
                               "-k", "not test_learner_notebook_runs_unanswered"],
                              args.out / "unit_tests.log", limit, env)
        report["unit_tests"] = {"status": status, "seconds": round(seconds, 1), "estimate_s": guess.get("unit_tests")}
        print(f"unit tests: {status} in {seconds:.0f} s", flush=True)
        save()
    if notebooks:
        # One pytest run for every chapter (one start-up, not eleven); each chapter's time is the sum
        # of its cells' times (the kernel start is in the first cell's) from the JUnit report.
        limit = left() - bench_reserve
        junit = args.out / "nbval.xml"
        status, seconds = run([py, "-m", "pytest", "-v", "--nbval-lax", "--nbval-sanitize-with", "tests/sanitize.cfg",
                               "-p", "no:cacheprovider", f"--nbval-cell-timeout={int(args.cell_seconds)}",
                               f"--junitxml={junit}", *[str(p.relative_to(ROOT)) for p in notebooks]],
                              args.out / "nbval.log", limit, env)
        report["nbval"] = {"status": status, "seconds": round(seconds, 1)}
        cells = chapter_results(junit)
        if status == "timeout":  # the last chapter with results was running when time ran out
            running = [p.stem for p in notebooks if p.stem in cells][-1:]
            for stem in running:
                cells[stem]["status"] = "timeout"
        for path in notebooks:
            found = cells.get(path.stem)
            estimate = guess.get(path.stem)
            if found is None:
                report["chapters"][path.stem] = {"status": "not run", "seconds": 0.0, "estimate_s": estimate}
            else:
                report["chapters"][path.stem] = {**found, "estimate_s": estimate}
            r = report["chapters"][path.stem]
            print(f"{path.name}: {r['status']} in {r['seconds']:.0f} s (estimate {estimate or 0:.0f} s)", flush=True)
        print(f"nbval: {status} in {seconds:.0f} s", flush=True)
        save()
    if not args.skip_bench:
        limit = min(args.bench_seconds, left())
        command = [py, "benchmarks/run_all.py", "--quick", "--only", "inference,training,tiling,weightmap,elastic",
                   "--max-seconds", str(int(limit - 25)), "--out", str(args.out / "bench.md"),
                   "--chart", str(args.out / "bench.png")]
        status, seconds = run(command, args.out / "bench.log", limit, env)
        report["bench"] = {"status": status, "seconds": round(seconds, 1)}
        print(f"benchmarks: {status} in {seconds:.0f} s", flush=True)
    save()

    steps = ([("unit tests", report["unit_tests"])] if report["unit_tests"] else []) + \
        list(report["chapters"].items()) + ([("nbval (all chapters)", report["nbval"])] if report.get("nbval") else []) + \
        ([("benchmarks", report["bench"])] if report["bench"] else [])
    lines = [f"# gpu-check on {device}, {report['date']}", "", "| step | status | seconds | estimate |", "|---|---|--:|--:|"]
    for name, r in steps:
        estimate = r.get("estimate_s")
        lines.append(f"| {name} | {r['status']} | {r['seconds']:.0f} | {'-' if estimate is None else f'{estimate:.0f}'} |")
    lines.append(f"| **total** | | **{report['total_s']:.0f}** | |")
    (args.out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if all(r["status"] == "passed" for _, r in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
