// shared_counter/Value_lock: two processes increment one Value<int64_t> under its lock; time per
// increment. lock_uncontended/acquire_release: one Lock, nobody else. bulk_array/child_read: a
// child sums a 64 MiB RawArray; bytes per second. cow_memory/fork_child_uss: a fork child sums a
// 512 MiB buffer it inherited; the growth of its private pages (counter uss_bytes) shows
// copy-on-write kept the pages shared (seed 000). Each run checks its result.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/two_children.h"
#include "benchmark/benchmark.h"
#include "core/multiproc.h"
#include "platform/memory_usage.h"
#include "platform/pipe.h"

namespace multiproc {
namespace {

void IncrementMany(Value<int64_t> counter, int64_t times) {
  for (int64_t i = 0; i < times; ++i) {
    std::lock_guard hold(counter.get_lock());
    counter.get_obj().set(counter.get_obj().get() + 1);
  }
}

// Manual time per increment: the two children's wall time divided by the increments.
void SharedCounterValueLock(benchmark::State& state) {
  const int64_t per_child = state.range(0);
  Context context = get_context();
  for (auto _ : state) {
    Value<int64_t> counter(0);
    double seconds = bench::SecondsForTwoChildren(context, IncrementMany, counter, per_child);
    if (counter.get() != 2 * per_child) {
      state.SkipWithError("lost updates under the lock");
      return;
    }
    state.SetIterationTime(seconds / static_cast<double>(2 * per_child));
  }
}

void LockUncontended(benchmark::State& state) {
  Lock lock;
  for (auto _ : state) {
    lock.acquire();
    lock.release();
  }
}

void SumArray(RawArray<int64_t> array, platform::OwnedHandle report) {
  auto began = std::chrono::steady_clock::now();
  int64_t sum = 0;
  for (int64_t value : array.span()) sum += value;
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - began;
  std::string text = std::to_string(sum) + " " + std::to_string(elapsed.count());
  (void)platform::WriteAll(report.get(),
                           {reinterpret_cast<const std::byte*>(text.data()), text.size()});
}

// Manual time: the child's own read loop, per byte (reported as bytes per second).
void BulkArrayChildRead(benchmark::State& state) {
  const size_t count = (size_t{64} << 20) / sizeof(int64_t);
  RawArray<int64_t> array(count);
  int64_t expected = 0;
  for (size_t i = 0; i < count; ++i) {
    array[i] = static_cast<int64_t>(i & 1023);
    expected += static_cast<int64_t>(i & 1023);
  }
  Context context = get_context();
  for (auto _ : state) {
    absl::StatusOr<platform::PipePair> pipe = platform::CreateSimplexPipe();
    Process child = context.process(SumArray, array, std::move(pipe->second));
    child.start();
    std::string reply(64, '\0');
    absl::StatusOr<size_t> got = platform::ReadSome(
        pipe->first.get(), {reinterpret_cast<std::byte*>(reply.data()), reply.size()});
    child.join();
    long long sum = 0;
    double seconds = 0;
    if (!got.ok() || std::sscanf(reply.c_str(), "%lld %lf", &sum, &seconds) != 2 ||
        sum != expected) {
      state.SkipWithError("child read a wrong sum");
      return;
    }
    state.SetIterationTime(seconds);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * count * sizeof(int64_t)));
}

constexpr size_t kInheritedWords = (size_t{512} << 20) / sizeof(uint64_t);
const uint64_t* inherited_words = nullptr;  // filled by the parent before fork

// In the fork child: "<growth of the buffer's private bytes> <checksum> <read seconds>".
void ReadInheritedAndReport(platform::OwnedHandle report) {
  const size_t bytes = kInheritedWords * sizeof(uint64_t);
  absl::StatusOr<uint64_t> before = platform::PrivateBytesOf(inherited_words, bytes);
  auto began = std::chrono::steady_clock::now();
  uint64_t sum = 0;
  for (size_t i = 0; i < kInheritedWords; ++i) sum += inherited_words[i];
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - began;
  absl::StatusOr<uint64_t> after = platform::PrivateBytesOf(inherited_words, bytes);
  if (!before.ok() || !after.ok()) return;  // the parent sees no report and fails the run
  std::string text = std::to_string(static_cast<int64_t>(*after - *before)) + " " +
                     std::to_string(sum) + " " + std::to_string(elapsed.count());
  (void)platform::WriteAll(report.get(),
                           {reinterpret_cast<const std::byte*>(text.data()), text.size()});
}

// Manual time: the child's read of the inherited buffer.
void CowMemoryForkChildUss(benchmark::State& state) {
  uint64_t probe = 0;
  if (!platform::SupportsFork() || !platform::PrivateBytesOf(&probe, sizeof(probe)).ok()) {
    state.SkipWithError("needs fork and /proc/self/smaps");
    return;
  }
  std::vector<uint64_t> buffer(kInheritedWords);
  for (size_t i = 0; i < kInheritedWords; ++i) buffer[i] = i;
  inherited_words = buffer.data();
  const uint64_t expected = (uint64_t{kInheritedWords} * (kInheritedWords - 1)) / 2;
  Context context = get_context("fork");
  double total_growth = 0;
  for (auto _ : state) {
    absl::StatusOr<platform::PipePair> pipe = platform::CreateSimplexPipe();
    Process child = context.process(ReadInheritedAndReport, std::move(pipe->second));
    child.start();
    std::string reply(128, '\0');
    absl::StatusOr<size_t> got = platform::ReadSome(
        pipe->first.get(), {reinterpret_cast<std::byte*>(reply.data()), reply.size()});
    child.join();
    long long growth = 0;
    unsigned long long sum = 0;
    double seconds = 0;
    if (!got.ok() || std::sscanf(reply.c_str(), "%lld %llu %lf", &growth, &sum, &seconds) != 3 ||
        sum != expected) {
      state.SkipWithError(
          "the fork child read a wrong checksum or could not measure its private pages");
      return;
    }
    total_growth += static_cast<double>(growth);
    state.SetIterationTime(seconds);
  }
  state.counters["uss_bytes"] =
      benchmark::Counter(total_growth, benchmark::Counter::kAvgIterations);
}

BENCHMARK(SharedCounterValueLock)
    ->Name("shared_counter/Value_lock/multiproc")
    ->Arg(200000)
    // Manual time is per increment: left to itself the library would ask for millions of
    // iterations (process pairs) to fill its minimum time.
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kNanosecond);
BENCHMARK(LockUncontended)
    ->Name("lock_uncontended/acquire_release/multiproc")
    ->Unit(benchmark::kNanosecond);
BENCHMARK(BulkArrayChildRead)
    ->Name("bulk_array/child_read/multiproc")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(CowMemoryForkChildUss)
    ->Name("cow_memory/fork_child_uss/multiproc")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace multiproc
