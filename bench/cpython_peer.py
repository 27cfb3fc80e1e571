#!/usr/bin/env python3
"""CPython's multiprocessing running the same workloads as multiproc's benchmark binaries.

Prints a JSON array of result rows {"workload", "variant", "impl": "cpython", "value", "unit",
"samples"}. Every run checks its own result (exit codes) so a fast wrong run cannot pass.
    cpython_peer.py [--quick]
"""
import json
import multiprocessing
import sys
import time


def do_nothing():
    pass


def start_join(method, seconds):
    """Mean milliseconds to start and join a process running an empty target."""
    context = multiprocessing.get_context(method)
    if method == "forkserver":  # the server starts on first use; not a start of ours
        warm_up = context.Process(target=do_nothing)
        warm_up.start()
        warm_up.join()
    samples = 0
    began = time.perf_counter()
    while samples < 3 or time.perf_counter() - began < seconds:
        child = context.Process(target=do_nothing)
        child.start()
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"{method} child exit code {child.exitcode}")
        samples += 1
    elapsed = time.perf_counter() - began
    return {"workload": "start_join", "variant": method, "impl": "cpython",
            "value": elapsed / samples * 1e3, "unit": "ms", "samples": samples}


def main():
    seconds = 0.3 if "--quick" in sys.argv else 2.0
    rows = []
    for method in ("fork", "forkserver", "spawn"):
        print(f"[cpython] start_join/{method}", file=sys.stderr, flush=True)
        rows.append(start_join(method, seconds))
    json.dump(rows, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
