// manager_ops/*: proxy calls on a started SyncManager (one request and reply each over this
// process's persistent connection to the server process): dict set+get, list append, Namespace
// set+get, Lock acquire+release; time per iteration. Compare with manager_ops/dict_set_get/floor
// (posix_manager_floors.cc): the same number of round trips of small messages over a bare
// socketpair to a child that echoes them. shared_counter/Manager_Value: two processes increment a
// managed Value under a managed Lock; time per increment. queue_throughput/Manager_Queue_64B: a
// child puts 64-byte items, the parent gets them; items per second. Each run checks its result.
#include <cstdint>
#include <optional>
#include <string>

#include "bench/two_children.h"
#include "bench/workload.h"
#include "benchmark/benchmark.h"
#include "core/multiproc.h"

namespace multiproc {
namespace {

void DictSetGet(benchmark::State& state) {
  SyncManager manager = Manager();
  auto dict = manager.dict<int, int64_t>();
  int64_t i = 0;
  for (auto _ : state) {
    dict.set(static_cast<int>(i & 255), i);
    if (dict.get(static_cast<int>(i & 255)) != i) {
      state.SkipWithError("dict.get returned another value");
      return;
    }
    ++i;
  }
}

void ListAppend(benchmark::State& state) {
  SyncManager manager = Manager();
  auto list = manager.list<int64_t>();
  int64_t appended = 0;
  for (auto _ : state) {
    list.append(appended);
    ++appended;
  }
  if (static_cast<int64_t>(list.size()) != appended) state.SkipWithError("lost appends");
}

void NamespaceSetGet(benchmark::State& state) {
  SyncManager manager = Manager();
  auto ns = manager.Namespace();
  int64_t i = 0;
  for (auto _ : state) {
    ns.set("x", i);
    if (ns.get<int64_t>("x") != i) {
      state.SkipWithError("ns.get returned another value");
      return;
    }
    ++i;
  }
}

void LockAcquireRelease(benchmark::State& state) {
  SyncManager manager = Manager();
  auto lock = manager.Lock();
  for (auto _ : state) {
    if (!lock.acquire()) {
      state.SkipWithError("acquire failed");
      return;
    }
    lock.release();
  }
}

void IncrementManaged(ValueProxy<int64_t> counter, LockProxy lock, int64_t times) {
  for (int64_t i = 0; i < times; ++i) {
    std::lock_guard<LockProxy> hold(lock);
    counter.set(counter.get() + 1);
  }
}

// Manual time per increment: the two children's wall time divided by the increments.
void SharedCounterManagerValue(benchmark::State& state) {
  const int64_t per_child = bench::Workload(state.range(0));
  SyncManager manager = Manager();
  Context context = get_context();
  for (auto _ : state) {
    auto counter = manager.Value<int64_t>(0);
    auto lock = manager.Lock();
    double seconds =
        bench::SecondsForTwoChildren(context, IncrementManaged, counter, lock, per_child);
    if (counter.get() != 2 * per_child) {
      state.SkipWithError("lost updates under the managed lock");
      return;
    }
    state.SetIterationTime(seconds / static_cast<double>(2 * per_child));
  }
}

void PutItems(QueueProxy<std::string> queue, int64_t count) {
  std::string item(64, 'q');
  for (int64_t i = 0; i < count; ++i) queue.put(item);
}

// The next item, or nullopt once `producer` has ended with nothing more to give: a consumer must
// not wait forever for items a dead producer will never put.
std::optional<std::string> GetWhileProducing(QueueProxy<std::string>& queue, Process& producer) {
  for (;;) {
    try {
      return queue.get(true, absl::Seconds(1));
    } catch (const Empty&) {
      if (!producer.is_alive()) return std::nullopt;
    }
  }
}

void ManagerQueue64B(benchmark::State& state) {
  const int64_t count = bench::Workload(state.range(0));
  SyncManager manager = Manager();
  Context context = get_context();
  for (auto _ : state) {
    auto queue = manager.Queue<std::string>();
    Process producer = context.process(PutItems, queue, count);
    producer.start();
    int64_t bytes = 0;
    for (int64_t i = 0; i < count; ++i) {
      std::optional<std::string> item = GetWhileProducing(queue, producer);
      if (!item.has_value()) break;
      bytes += static_cast<int64_t>(item->size());
    }
    producer.join();
    if (bytes != 64 * count || producer.exitcode() != 0) {
      state.SkipWithError("lost or damaged items, or the producer failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * count);
}

// Wall time: the caller mostly waits for the server, so its CPU time would say little.
BENCHMARK(DictSetGet)
    ->Name("manager_ops/dict_set_get/multiproc")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(ListAppend)
    ->Name("manager_ops/list_append/multiproc")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(NamespaceSetGet)
    ->Name("manager_ops/namespace_set_get/multiproc")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(LockAcquireRelease)
    ->Name("manager_ops/lock_acquire_release/multiproc")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(SharedCounterManagerValue)
    ->Name("shared_counter/Manager_Value/multiproc")
    ->Arg(2000)
    ->Iterations(3)  // the manual time is per increment: let it not drive the iteration count
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(ManagerQueue64B)
    ->Name("queue_throughput/Manager_Queue_64B/multiproc")
    ->Arg(5000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace multiproc
