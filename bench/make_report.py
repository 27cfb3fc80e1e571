#!/usr/bin/env python3
"""Merges Google Benchmark JSON (multiproc and floors) with the CPython peer's rows into
results.json, report.md and report.png.

    make_report.py [--platform-note TEXT] OUT_DIR CPYTHON_JSON BENCHMARK_JSON...

Benchmark names are workload/variant/impl[/...]; impl is multiproc or floor. A benchmark that
sets items or bytes processed reports a rate (items/s, MiB/s: higher is better); one with a
`uss_bytes` counter reports memory (MiB); any other reports time per operation in its
workload's unit (lower is better). The floor of a variant without its own floor row is the one
named in FLOOR_OF (the forkserver is compared with the fork floor, as its target says).
CPYTHON_JSON may be "-" when there is no CPython to compare with (the Wine run).
"""
import json
import os
import platform
import subprocess
import sys

FLOOR_OF = {("start_join", "forkserver"): ("start_join", "fork"),
            ("queue_throughput", "JoinableQueue_64B"): ("queue_throughput", "Queue_64B"),
            ("queue_throughput", "Queue_64B_2to2"): ("queue_throughput", "Queue_64B"),
            ("manager_ops", "namespace_set_get"): ("manager_ops", "dict_set_get"),
            ("manager_ops", "lock_acquire_release"): ("manager_ops", "dict_set_get")}
TIME_UNIT_OF = {"start_join": "ms", "shared_counter": "ns", "lock_uncontended": "ns"}
DEFAULT_TIME_UNIT = "us"
SECONDS_PER = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
HIGHER_IS_BETTER = {"items/s", "MiB/s"}

# Rows every full run must produce (workload, variant, impl); grows with each feature.
CPYTHON_WORKLOADS = [
    ("start_join", "fork"), ("start_join", "spawn"), ("start_join", "forkserver"),
    ("shared_counter", "Value_lock"), ("shared_counter", "Manager_Value"),
    ("bulk_array", "child_read"), ("pipe_pingpong", "64B"), ("pipe_throughput", "1MiB"),
    ("pipe_throughput", "64B"), ("queue_throughput", "Queue_64B"),
    ("queue_throughput", "JoinableQueue_64B"), ("queue_throughput", "Manager_Queue_64B"),
    ("manager_ops", "dict_set_get"), ("manager_ops", "list_append"),
    ("manager_ops", "namespace_set_get"), ("manager_ops", "lock_acquire_release"),
    ("pool", "apply_async_get"),
    ("pool", "map_chunksize_1"), ("pool", "map_default_chunksize"),
    ("cow_memory", "fork_child_uss")]
MULTIPROC_ROWS = [
    ("start_join", "fork", "multiproc"), ("start_join", "spawn", "multiproc"),
    ("start_join", "forkserver", "multiproc"), ("start_join", "fork", "floor"),
    ("start_join", "spawn", "floor"), ("start_join", "spawn", "exec_floor"),
    ("shared_counter", "Value_lock", "multiproc"), ("shared_counter", "Value_lock", "floor"),
    ("lock_uncontended", "acquire_release", "multiproc"),
    ("bulk_array", "child_read", "multiproc"), ("bulk_array", "child_read", "floor"),
    ("cow_memory", "fork_child_uss", "multiproc"),
    ("pipe_pingpong", "64B", "multiproc"), ("pipe_pingpong", "64B", "floor"),
    ("pipe_throughput", "1MiB", "multiproc"), ("pipe_throughput", "1MiB", "floor"),
    ("pipe_throughput", "64B", "multiproc"), ("pipe_throughput", "64B", "floor"),
    ("queue_throughput", "Queue_64B", "multiproc"), ("queue_throughput", "Queue_64B", "floor"),
    ("queue_throughput", "JoinableQueue_64B", "multiproc"),
    ("queue_throughput", "Queue_64B_2to2", "multiproc"),
    ("pool", "apply_async_get", "multiproc"), ("pool", "apply_async_get", "floor"),
    ("pool", "map_chunksize_1", "multiproc"), ("pool", "map_default_chunksize", "multiproc"),
    ("manager_ops", "dict_set_get", "multiproc"), ("manager_ops", "dict_set_get", "floor"),
    ("manager_ops", "list_append", "multiproc"), ("manager_ops", "list_append", "floor"),
    ("manager_ops", "namespace_set_get", "multiproc"),
    ("manager_ops", "lock_acquire_release", "multiproc"),
    ("shared_counter", "Manager_Value", "multiproc"),
    ("queue_throughput", "Manager_Queue_64B", "multiproc")]
POSIX_ONLY_IMPLS = {"floor", "exec_floor", "cpython"}


def benchmark_rows(path):
    with open(path) as handle:
        report = json.load(handle)
    entries = report["benchmarks"]
    for entry in entries:
        if entry.get("error_occurred"):
            raise SystemExit(f"benchmark {entry['name']} failed: {entry.get('error_message')}")
    # With --benchmark_repetitions each benchmark has a median aggregate: report it (a single
    # slow or fast repetition on a noisy machine does not decide the figure) and count the
    # iterations of all its repetitions as its samples.
    medians = [entry for entry in entries if entry.get("aggregate_name") == "median"]
    iterations = {}
    for entry in entries:
        if entry.get("run_type") != "aggregate":
            key = entry.get("run_name", entry["name"])
            iterations[key] = iterations.get(key, 0) + entry["iterations"]
    singles = [entry for entry in entries if entry.get("run_type") != "aggregate"]
    rows = []
    for entry in medians or singles:
        workload, variant, impl = entry.get("run_name", entry["name"]).split("/")[:3]
        if "items_per_second" in entry:
            value, unit = entry["items_per_second"], "items/s"
        elif "bytes_per_second" in entry:
            value, unit = entry["bytes_per_second"] / (1 << 20), "MiB/s"
        elif "uss_bytes" in entry:
            value, unit = entry["uss_bytes"] / (1 << 20), "MiB"
        else:
            unit = TIME_UNIT_OF.get(workload, DEFAULT_TIME_UNIT)
            value = entry["real_time"] * SECONDS_PER[entry["time_unit"]] / SECONDS_PER[unit]
        samples = iterations.get(entry.get("run_name", entry["name"]), entry["iterations"])
        rows.append({"workload": workload, "variant": variant, "impl": impl,
                     "value": value, "unit": unit, "samples": samples})
    return rows


def machine_description(platform_note):
    compiler = subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout
    text = (f"{os.cpu_count()} cores, Linux {platform.release()}, "
            f"{compiler.splitlines()[0] if compiler else 'unknown compiler'}")
    return f"{text}, {platform_note}" if platform_note else text


def find(rows, workload, variant, impl):
    for row in rows:
        if (row["workload"], row["variant"], row["impl"]) == (workload, variant, impl):
            return row
    return None


def speed_ratio(ours, theirs):
    """How many times better `ours` is than `theirs` (faster, or less memory; below 1: worse)."""
    if ours is None or theirs is None or ours["value"] <= 0 or theirs["value"] <= 0:
        return None
    if ours["unit"] in HIGHER_IS_BETTER:
        return ours["value"] / theirs["value"]
    return theirs["value"] / ours["value"]


def floor_row(rows, workload, variant):
    key = FLOOR_OF.get((workload, variant), (workload, variant))
    return find(rows, key[0], key[1], "floor"), key


def write_markdown(rows, path, platform_note):
    lines = ["# multiproc benchmark report", "",
             f"Machine: {machine_description(platform_note)}", "",
             "Each figure comes from one run: multiproc, the raw floor (the same workload on bare "
             "system calls) and CPython's multiprocessing doing the same work; when the run "
             "repeated the workloads (the full run does each 3 times), a figure is the median "
             "repetition. Times are per "
             "operation (lower is better); rates are items or MiB per second (higher is "
             "better); memory is a child's private memory. *of floor*: multiproc's speed as a "
             "fraction of the floor's (1.00 = as fast as the bare system calls; for times it is "
             "floor/multiproc). *vs CPython*: how many times faster than CPython (for memory: how many "
             "times less).", ""]
    for workload in sorted({row["workload"] for row in rows}):
        lines += [f"## {workload}", "",
                  "| variant | unit | multiproc | CPython | floor | of floor | vs CPython |",
                  "|---|---|---|---|---|---|---|"]
        for variant in sorted({r["variant"] for r in rows if r["workload"] == workload}):
            ours = find(rows, workload, variant, "multiproc")
            theirs = find(rows, workload, variant, "cpython")
            floor, floor_key = floor_row(rows, workload, variant)
            unit = next(r["unit"] for r in (ours, theirs, floor) if r is not None)
            value = lambda r: "n/a" if r is None else f"{r['value']:.4g}"
            floor_text = value(floor) + ("" if floor is None or floor_key == (workload, variant)
                                         else f" ({floor_key[1]})")
            of_floor = speed_ratio(ours, floor)
            versus = speed_ratio(ours, theirs)
            if unit == "MiB":  # a ratio of two near-zero memory figures means nothing
                of_floor = None
                if ours is not None and ours["value"] < 1:
                    versus = None
            ratio = lambda r: "n/a" if r is None else f"{r:.2f}x"
            lines.append(f"| {variant} | {unit} | {value(ours)} | {value(theirs)} | "
                         f"{floor_text} | {ratio(of_floor)} | {ratio(versus)} |")
            for other in rows:  # extra variants of the same work (e.g. recv_bytes, exec_floor)
                if ((other["workload"], other["variant"]) != (workload, variant)
                        or other["impl"] in ("multiproc", "cpython", "floor")):
                    continue
                if other["impl"].endswith("floor"):  # a second floor: multiproc against it
                    lines.append(f"| {variant} [{other['impl']}] | {other['unit']} | | | "
                                 f"{value(other)} | {ratio(speed_ratio(ours, other))} | |")
                else:
                    lines.append(f"| {variant} [{other['impl']}] | {other['unit']} | "
                                 f"{value(other)} | | | {ratio(speed_ratio(other, floor))} | "
                                 f"{ratio(speed_ratio(other, theirs))} |")
        lines.append("")
    with open(path, "w") as handle:
        handle.write("\n".join(lines))


def write_chart(rows, path, platform_note):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    panels = [("time per operation, µs (lower is better)", lambda u: u in SECONDS_PER,
               lambda r: r["value"] * SECONDS_PER[r["unit"]] / 1e-6),
              ("items per second (higher is better)", lambda u: u == "items/s",
               lambda r: r["value"]),
              ("MiB per second (higher is better)", lambda u: u == "MiB/s",
               lambda r: r["value"]),
              ("child private memory, MiB (lower is better)", lambda u: u == "MiB",
               lambda r: r["value"])]
    panels = [p for p in panels if any(p[1](r["unit"]) for r in rows)]
    impls = ["multiproc", "cpython", "floor"]
    colors = {"multiproc": "#1f77b4", "cpython": "#ff7f0e", "floor": "#7f7f7f"}
    figure, axes_list = pyplot.subplots(len(panels), 1, figsize=(13, 4.2 * len(panels)),
                                        squeeze=False)
    for axes, (title, wanted, scale) in zip(axes_list[:, 0], panels):
        labels = sorted({(r["workload"], r["variant"]) for r in rows if wanted(r["unit"])})
        width = 0.8 / len(impls)
        for index, impl in enumerate(impls):
            values = []
            for workload, variant in labels:
                row = (floor_row(rows, workload, variant)[0] if impl == "floor"
                       else find(rows, workload, variant, impl))
                values.append(scale(row) if row is not None else 0)
            positions = [i + (index - 1) * width for i in range(len(labels))]
            axes.bar(positions, values, width, label=impl, color=colors[impl])
        axes.set_xticks(range(len(labels)))
        axes.set_xticklabels([f"{w}\n{v}" for w, v in labels], fontsize=8)
        if "memory" not in title:  # memory growth is about zero for multiproc: linear
            axes.set_yscale("log")
        axes.set_title(title)
        axes.legend(fontsize=8)
    figure.suptitle("multiproc vs CPython multiprocessing vs raw floor"
                    + (f" ({platform_note})" if platform_note else ""))
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    figure.savefig(path, dpi=100)


def expected_rows(with_cpython):
    expected = list(MULTIPROC_ROWS)
    if with_cpython:
        expected += [(w, v, "cpython") for w, v in CPYTHON_WORKLOADS]
    else:  # no floors and no CPython under Wine, and no fork
        expected = [r for r in expected if r[2] not in POSIX_ONLY_IMPLS and
                    r[1] not in ("fork", "forkserver")]
    return expected


def main():
    arguments = sys.argv[1:]
    platform_note = ""
    if arguments[:1] == ["--platform-note"]:
        platform_note, arguments = arguments[1], arguments[2:]
    out_dir, cpython_json, benchmark_jsons = arguments[0], arguments[1], arguments[2:]
    rows = []
    for path in benchmark_jsons:
        rows += benchmark_rows(path)
    if cpython_json != "-":
        with open(cpython_json) as handle:
            rows += json.load(handle)
    # Every figure must be positive, except memory growth, which is rightly about zero.
    bad = [r for r in rows if not (r["value"] > 0 or (r["unit"] == "MiB" and r["value"] > -64))]
    if bad:
        raise SystemExit(f"non-positive results: {bad}")
    present = {(r["workload"], r["variant"], r["impl"]) for r in rows}
    missing = [row for row in expected_rows(cpython_json != "-") if row not in present]
    if missing:
        raise SystemExit(f"missing result rows: {missing}")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as handle:
        json.dump(rows, handle, indent=1)
    write_markdown(rows, os.path.join(out_dir, "report.md"), platform_note)
    write_chart(rows, os.path.join(out_dir, "report.png"), platform_note)
    print(f"[report] {len(rows)} rows -> {out_dir}/results.json, report.md, report.png")


if __name__ == "__main__":
    main()
