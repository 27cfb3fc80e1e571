#!/usr/bin/env python3
"""Merges Google Benchmark JSON (multiproc and floors) with the CPython peer's rows into
results.json, report.md and report.png.

    make_report.py OUT_DIR CPYTHON_JSON BENCHMARK_JSON...

Benchmark names are workload/variant/impl[/...]; impl is multiproc or floor. The floor of a
variant without its own floor row is the one named in FLOOR_OF (the forkserver is compared with
the fork floor, as its target says).
"""
import json
import os
import platform
import subprocess
import sys

FLOOR_OF = {("start_join", "forkserver"): ("start_join", "fork")}
# Rows every run must produce (workload, variant, impl); grows with each feature.
EXPECTED_ROWS = [("start_join", variant, impl)
                 for variant in ("fork", "spawn", "forkserver") for impl in ("multiproc", "cpython")]
EXPECTED_ROWS += [("start_join", "fork", "floor"), ("start_join", "spawn", "floor")]
TIME_UNITS_TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def benchmark_rows(path):
    with open(path) as handle:
        report = json.load(handle)
    rows = []
    for entry in report["benchmarks"]:
        if entry.get("run_type") == "aggregate":
            continue
        if entry.get("error_occurred"):
            raise SystemExit(f"benchmark {entry['name']} failed: {entry.get('error_message')}")
        workload, variant, impl = entry["name"].split("/")[:3]
        value = entry["real_time"] * TIME_UNITS_TO_MS[entry["time_unit"]]
        rows.append({"workload": workload, "variant": variant, "impl": impl,
                     "value": value, "unit": "ms", "samples": entry["iterations"]})
    return rows


def machine_description():
    compiler = subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout
    return (f"{os.cpu_count()} cores, Linux {platform.release()}, "
            f"{compiler.splitlines()[0] if compiler else 'unknown compiler'}, "
            f"CPython {platform.python_version()}")


def find(rows, workload, variant, impl):
    for row in rows:
        if (row["workload"], row["variant"], row["impl"]) == (workload, variant, impl):
            return row["value"]
    return None


def ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return "n/a"
    return f"{numerator / denominator:.2f}x"


def write_markdown(rows, path):
    lines = ["# multiproc benchmark report", "", f"Machine: {machine_description()}", "",
             "Lower is better for times. Ratios: multiproc/floor (how close to the bare system "
             "calls) and CPython/multiproc (how much faster than Python's multiprocessing).", ""]
    workloads = sorted({row["workload"] for row in rows})
    for workload in workloads:
        lines += [f"## {workload}", "",
                  "| variant | multiproc | CPython | floor | multiproc/floor | CPython/multiproc |",
                  "|---|---|---|---|---|---|"]
        variants = sorted({r["variant"] for r in rows if r["workload"] == workload})
        for variant in variants:
            ours = find(rows, workload, variant, "multiproc")
            theirs = find(rows, workload, variant, "cpython")
            floor_key = FLOOR_OF.get((workload, variant), (workload, variant))
            floor = find(rows, *floor_key, "floor")
            cell = lambda v: "n/a" if v is None else f"{v:.3f} ms"
            floor_text = cell(floor) + ("" if floor_key == (workload, variant)
                                        else f" ({floor_key[1]})")
            lines.append(f"| {variant} | {cell(ours)} | {cell(theirs)} | {floor_text} | "
                         f"{ratio(ours, floor)} | {ratio(theirs, ours)} |")
        lines.append("")
    with open(path, "w") as handle:
        handle.write("\n".join(lines))


def write_chart(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    labels = sorted({(r["workload"], r["variant"]) for r in rows})
    impls = ["multiproc", "cpython", "floor"]
    colors = {"multiproc": "#1f77b4", "cpython": "#ff7f0e", "floor": "#7f7f7f"}
    figure, axes = pyplot.subplots(figsize=(max(6, 1.6 * len(labels)), 4.5))
    width = 0.8 / len(impls)
    for index, impl in enumerate(impls):
        values = []
        for workload, variant in labels:
            key = (workload, variant) if impl != "floor" else FLOOR_OF.get(
                (workload, variant), (workload, variant))
            values.append(find(rows, key[0], key[1], impl) or 0)
        positions = [i + (index - 1) * width for i in range(len(labels))]
        axes.bar(positions, values, width, label=impl, color=colors[impl])
    axes.set_xticks(range(len(labels)))
    axes.set_xticklabels([f"{w}\n{v}" for w, v in labels])
    axes.set_yscale("log")
    axes.set_ylabel("milliseconds per operation (log scale, lower is better)")
    axes.set_title("multiproc vs CPython multiprocessing vs raw floor")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main():
    out_dir, cpython_json, benchmark_jsons = sys.argv[1], sys.argv[2], sys.argv[3:]
    rows = []
    for path in benchmark_jsons:
        rows += benchmark_rows(path)
    with open(cpython_json) as handle:
        rows += json.load(handle)
    bad = [r for r in rows if not r["value"] > 0]
    if bad:
        raise SystemExit(f"non-positive results: {bad}")
    present = {(r["workload"], r["variant"], r["impl"]) for r in rows}
    missing = [row for row in EXPECTED_ROWS if row not in present]
    if missing:
        raise SystemExit(f"missing result rows: {missing}")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as handle:
        json.dump(rows, handle, indent=1)
    write_markdown(rows, os.path.join(out_dir, "report.md"))
    write_chart(rows, os.path.join(out_dir, "report.png"))
    print(f"[report] {len(rows)} rows -> {out_dir}/results.json, report.md, report.png")


if __name__ == "__main__":
    main()
