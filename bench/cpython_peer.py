#!/usr/bin/env python3
"""CPython's multiprocessing running the same workloads as multiproc's benchmark binaries.

Prints a JSON array of result rows {"workload", "variant", "impl": "cpython", "value", "unit",
"samples"}; units match the multiproc rows (see make_report.py). Every run checks its own result
(exit codes, counts, checksums) so a fast wrong run cannot pass. Progress goes to stderr.
    cpython_peer.py [--quick]
The full run does every workload three times and reports each row's median, as ci/bench.sh has
Google Benchmark do for the multiproc and floor rows; --quick does each once.
"""
import array
import json
import multiprocessing
import os
import sys
import time

QUICK = "--quick" in sys.argv
SECONDS = 0.3 if QUICK else 1.0
REPETITIONS = 1 if QUICK else 3
MESSAGE_64B = b"x" * 64


def row(workload, variant, value, unit, samples):
    return {"workload": workload, "variant": variant, "impl": "cpython", "value": value,
            "unit": unit, "samples": samples}


def check_exit(process):
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"child exit code {process.exitcode}")


def repeat_for(seconds, minimum, body):
    """Runs body() until `seconds` passed and at least `minimum` times; mean seconds per call."""
    samples = 0
    began = time.perf_counter()
    while samples < minimum or time.perf_counter() - began < seconds:
        body()
        samples += 1
    return (time.perf_counter() - began) / samples, samples


# ---- start_join ----
def do_nothing():
    pass


def start_join(method):
    context = multiprocessing.get_context(method)
    if method == "forkserver":  # the server starts on first use; not a start of ours
        warm_up = context.Process(target=do_nothing)
        warm_up.start()
        check_exit(warm_up)

    def once():
        child = context.Process(target=do_nothing)
        child.start()
        check_exit(child)

    seconds, samples = repeat_for(SECONDS, 3, once)
    return row("start_join", method, seconds * 1e3, "ms", samples)


# ---- shared_counter ----
def increment_value(counter, times):
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1


def increment_proxy(counter, lock, times):
    for _ in range(times):
        with lock:
            counter.value += 1


def shared_counter_value_lock():
    per_child = 20000 if QUICK else 100000
    counter = multiprocessing.Value("q", 0)
    children = [multiprocessing.Process(target=increment_value, args=(counter, per_child))
                for _ in range(2)]
    began = time.perf_counter()
    for child in children:
        child.start()
    for child in children:
        check_exit(child)
    elapsed = time.perf_counter() - began
    if counter.value != 2 * per_child:
        raise RuntimeError("lost updates under the lock")
    return row("shared_counter", "Value_lock", elapsed / (2 * per_child) * 1e9, "ns", 2 * per_child)


def shared_counter_manager_value(manager):
    per_child = 500 if QUICK else 3000
    counter = manager.Value("q", 0)
    lock = manager.Lock()
    children = [multiprocessing.Process(target=increment_proxy, args=(counter, lock, per_child))
                for _ in range(2)]
    began = time.perf_counter()
    for child in children:
        child.start()
    for child in children:
        check_exit(child)
    elapsed = time.perf_counter() - began
    if counter.value != 2 * per_child:
        raise RuntimeError("lost updates under the manager lock")
    return row("shared_counter", "Manager_Value", elapsed / (2 * per_child) * 1e9, "ns",
               2 * per_child)


# ---- bulk_array ----
def sum_array(shared, expected, report):
    began = time.perf_counter()
    total = sum(memoryview(shared).cast("B").cast("q"))
    report.send((total == expected, time.perf_counter() - began))


def bulk_array_child_read():
    count = (64 << 20) // 8
    shared = multiprocessing.RawArray("q", count)
    values = array.array("q", (i & 1023 for i in range(count)))
    memoryview(shared).cast("B")[:] = memoryview(values).cast("B")
    expected = sum(values)
    receiver, sender = multiprocessing.Pipe(False)
    child = multiprocessing.Process(target=sum_array, args=(shared, expected, sender))
    child.start()
    correct, seconds = receiver.recv()
    check_exit(child)
    if not correct:
        raise RuntimeError("child read a wrong sum")
    return row("bulk_array", "child_read", (64 << 20) / seconds / (1 << 20), "MiB/s", 1)


# ---- pipe_pingpong / pipe_throughput ----
def echo(connection):
    while True:
        message = connection.recv_bytes()
        if not message:
            return
        connection.send_bytes(message)


def pipe_pingpong():
    parent, child_end = multiprocessing.Pipe()
    child = multiprocessing.Process(target=echo, args=(child_end,))
    child.start()

    def once():
        parent.send_bytes(MESSAGE_64B)
        if parent.recv_bytes() != MESSAGE_64B:
            raise RuntimeError("echo changed the message")

    seconds, samples = repeat_for(SECONDS, 100, once)
    parent.send_bytes(b"")
    check_exit(child)
    return row("pipe_pingpong", "64B", seconds * 1e6, "us", samples)


def drain(connection, expected_bytes):
    received = 0
    while received < expected_bytes:
        received += len(connection.recv_bytes())
    connection.send(received)


def pipe_throughput(variant, message_size, total_bytes):
    parent, child_end = multiprocessing.Pipe()
    child = multiprocessing.Process(target=drain, args=(child_end, total_bytes))
    child.start()
    message = b"y" * message_size
    began = time.perf_counter()
    for _ in range(total_bytes // message_size):
        parent.send_bytes(message)
    if parent.recv() != total_bytes:
        raise RuntimeError("child counted a wrong number of bytes")
    elapsed = time.perf_counter() - began
    check_exit(child)
    return row("pipe_throughput", variant, total_bytes / elapsed / (1 << 20), "MiB/s",
               total_bytes // message_size)


# ---- queue_throughput ----
def consume(queue, count, joinable, report):
    total = 0
    for _ in range(count):
        total += len(queue.get())
        if joinable:
            queue.task_done()
    report.send(total)


def queue_throughput(variant, queue, joinable):
    count = 20000 if QUICK else 100000
    receiver, sender = multiprocessing.Pipe(False)
    consumer = multiprocessing.Process(target=consume, args=(queue, count, joinable, sender))
    consumer.start()
    began = time.perf_counter()
    for _ in range(count):
        queue.put(MESSAGE_64B)
    if joinable:
        queue.join()
    total = receiver.recv()
    elapsed = time.perf_counter() - began
    check_exit(consumer)
    if total != count * 64:
        raise RuntimeError("the consumer received a wrong number of bytes")
    return row("queue_throughput", variant, count / elapsed, "items/s", count)


# ---- manager_ops ----
def manager_ops(manager):
    rows = []
    shared_dict = manager.dict()
    shared_list = manager.list()
    namespace = manager.Namespace()

    def dict_set_get():
        shared_dict["k"] = 1
        if shared_dict["k"] != 1:
            raise RuntimeError("dict lost a value")

    def namespace_set_get():
        namespace.x = 1
        if namespace.x != 1:
            raise RuntimeError("namespace lost a value")

    lock = manager.Lock()

    def lock_acquire_release():
        if not lock.acquire(timeout=10):
            raise RuntimeError("the managed lock was not free")
        lock.release()

    for variant, body in (("dict_set_get", dict_set_get),
                          ("list_append", lambda: shared_list.append(1)),
                          ("namespace_set_get", namespace_set_get),
                          ("lock_acquire_release", lock_acquire_release)):
        seconds, samples = repeat_for(SECONDS, 100, body)
        rows.append(row("manager_ops", variant, seconds * 1e6, "us", samples))
    if len(shared_list) < 100:
        raise RuntimeError("list appends were lost")
    return rows


# ---- pool ----
def identity(value):
    return value


def pool_rows():
    rows = []
    with multiprocessing.Pool(2) as pool:
        pool.apply(identity, (0,))  # workers up before timing

        def once():
            if pool.apply_async(identity, (7,)).get() != 7:
                raise RuntimeError("apply_async returned a wrong value")

        seconds, samples = repeat_for(SECONDS, 50, once)
        rows.append(row("pool", "apply_async_get", seconds * 1e6, "us", samples))
        for variant, count, chunksize in (("map_chunksize_1", 10000, 1),
                                          ("map_default_chunksize", 100000, None)):
            items = list(range(count))
            began = time.perf_counter()
            if pool.map(identity, items, chunksize) != items:
                raise RuntimeError("map returned wrong results")
            elapsed = time.perf_counter() - began
            rows.append(row("pool", variant, count / elapsed, "items/s", count))
    return rows


# ---- cow_memory ----
def private_bytes(pid):
    private = 0
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                private += int(line.split()[1]) * 1024
    return private


def read_all(values, ready, go_on):
    total = 0
    for value in values:  # touches every object's reference count: copy-on-write copies pages
        total += value
    ready.send(total)
    go_on.recv()


def cow_memory():
    # About 512 MiB of Python objects: a list of ints (8-byte slot + 32-byte int object each).
    values = list(range(1 << 20, (1 << 20) + (512 << 20) // 40))
    expected = sum(values)
    context = multiprocessing.get_context("fork")
    ready_receiver, ready_sender = context.Pipe(False)
    go_on_receiver, go_on_sender = context.Pipe(False)
    child = context.Process(target=read_all, args=(values, ready_sender, go_on_receiver))
    child.start()
    total = ready_receiver.recv()
    after = private_bytes(child.pid)
    go_on_sender.send(True)
    check_exit(child)
    if total != expected:
        raise RuntimeError("the child summed a wrong total")
    return row("cow_memory", "fork_child_uss", after / (1 << 20), "MiB", 1)


def median_rows(repetitions):
    """One row per (workload, variant): the median value; samples summed over the repetitions."""
    grouped = {}
    for rows in repetitions:
        for result in rows:
            grouped.setdefault((result["workload"], result["variant"]), []).append(result)
    medians = []
    for results in grouped.values():
        ordered = sorted(results, key=lambda result: result["value"])
        middle = dict(ordered[len(ordered) // 2])
        middle["samples"] = sum(result["samples"] for result in results)
        medians.append(middle)
    return medians


def run_every_workload():
    rows = []

    def run(label, function, *args):
        print(f"[cpython] {label}", file=sys.stderr, flush=True)
        result = function(*args)
        rows.extend(result if isinstance(result, list) else [result])

    for method in ("fork", "forkserver", "spawn"):
        run(f"start_join/{method}", start_join, method)
    # The remaining workloads use CPython's default start method on this platform, as a user would.
    run("shared_counter/Value_lock", shared_counter_value_lock)
    run("bulk_array/child_read", bulk_array_child_read)
    run("pipe_pingpong/64B", pipe_pingpong)
    run("pipe_throughput/1MiB", pipe_throughput, "1MiB", 1 << 20, (64 if QUICK else 512) << 20)
    run("pipe_throughput/64B", pipe_throughput, "64B", 64, (2 if QUICK else 16) << 20)
    run("queue_throughput/Queue_64B", queue_throughput, "Queue_64B", multiprocessing.Queue(),
        False)
    run("queue_throughput/JoinableQueue_64B", queue_throughput, "JoinableQueue_64B",
        multiprocessing.JoinableQueue(), True)
    with multiprocessing.Manager() as manager:
        run("queue_throughput/Manager_Queue_64B", queue_throughput, "Manager_Queue_64B",
            manager.Queue(), False)
        run("shared_counter/Manager_Value", shared_counter_manager_value, manager)
        run("manager_ops", manager_ops, manager)
    run("pool", pool_rows)
    if sys.platform.startswith("linux"):
        run("cow_memory/fork_child_uss", cow_memory)
    return rows


def main():
    repetitions = []
    for repetition in range(REPETITIONS):
        print(f"[cpython] repetition {repetition + 1} of {REPETITIONS}", file=sys.stderr, flush=True)
        repetitions.append(run_every_workload())
    json.dump(median_rows(repetitions), sys.stdout, indent=1)


if __name__ == "__main__":
    main()
