// Raw floors for shared_memory_bench on bare POSIX calls (see posix_floors.cc for why bench/ may
// call the OS directly): a pthread process-shared mutex in a MAP_SHARED page, and memcpy out of
// a shared mapping, and a bare fork() child reading an inherited buffer (the growth of its private
// pages).
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "benchmark/benchmark.h"
#include "platform/memory_usage.h"

namespace {

struct SharedCounter {
  pthread_mutex_t mutex;
  int64_t value;
};

void IncrementWithPthreadMutex(SharedCounter* counter, int64_t times) {
  for (int64_t i = 0; i < times; ++i) {
    pthread_mutex_lock(&counter->mutex);
    ++counter->value;
    pthread_mutex_unlock(&counter->mutex);
  }
}

void SharedCounterPthreadFloor(benchmark::State& state) {
  const int64_t per_child = state.range(0);
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  auto* counter = static_cast<SharedCounter*>(page);
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&counter->mutex, &attributes);
  for (auto _ : state) {
    counter->value = 0;
    auto began = std::chrono::steady_clock::now();
    pid_t children[2];
    for (pid_t& child : children) {
      child = fork();
      if (child == 0) {
        IncrementWithPthreadMutex(counter, per_child);
        _exit(0);
      }
    }
    for (pid_t child : children) waitpid(child, nullptr, 0);
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - began;
    if (counter->value != 2 * per_child) {
      state.SkipWithError("lost updates");
      break;
    }
    state.SetIterationTime(elapsed.count() / static_cast<double>(2 * per_child));
  }
  munmap(page, 4096);
}

void LockUncontendedPthreadFloor(benchmark::State& state) {
  pthread_mutex_t mutex;
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&mutex, &attributes);
  for (auto _ : state) {
    pthread_mutex_lock(&mutex);
    pthread_mutex_unlock(&mutex);
  }
}

void BulkArrayMemcpyFloor(benchmark::State& state) {
  const size_t bytes = size_t{64} << 20;
  void* shared = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  std::memset(shared, 1, bytes);
  std::vector<char> destination(bytes);
  for (auto _ : state) {
    auto began = std::chrono::steady_clock::now();
    std::memcpy(destination.data(), shared, bytes);
    benchmark::DoNotOptimize(destination.data());
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - began;
    if (destination[bytes - 1] != 1) {
      state.SkipWithError("copy failed");
      break;
    }
    state.SetIterationTime(elapsed.count());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  munmap(shared, bytes);
}

// What the fork child reports through its pipe.
struct ChildReading {
  int64_t growth;  // private bytes of the buffer added by reading
  uint64_t sum;
  double seconds;
};

// What a bare fork() child's read of an inherited 512 MiB buffer costs in time and private pages.
void CowMemoryForkChildUssFloor(benchmark::State& state) {
  const size_t words = (size_t{512} << 20) / sizeof(uint64_t);
  uint64_t probe = 0;
  if (!multiproc::platform::PrivateBytesOf(&probe, sizeof(probe)).ok()) {
    state.SkipWithError("needs /proc/self/smaps");
    return;
  }
  std::vector<uint64_t> buffer(words);
  for (size_t i = 0; i < words; ++i) buffer[i] = i;
  double total_growth = 0;
  for (auto _ : state) {
    int fds[2];
    if (pipe(fds) != 0) {
      state.SkipWithError("pipe failed");
      break;
    }
    if (fork() == 0) {
      ChildReading result{};
      const size_t bytes = buffer.size() * sizeof(uint64_t);
      uint64_t before = multiproc::platform::PrivateBytesOf(buffer.data(), bytes).value_or(0);
      auto began = std::chrono::steady_clock::now();
      for (uint64_t value : buffer) result.sum += value;
      result.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      result.growth = static_cast<int64_t>(
          multiproc::platform::PrivateBytesOf(buffer.data(), bytes).value_or(0) - before);
      ssize_t written = write(fds[1], &result, sizeof(result));
      _exit(written == sizeof(result) ? 0 : 1);
    }
    close(fds[1]);
    ChildReading result{};
    ssize_t got = read(fds[0], &result, sizeof(result));
    close(fds[0]);
    wait(nullptr);
    if (got != sizeof(result) || result.sum != uint64_t{words} * (words - 1) / 2) {
      state.SkipWithError("the fork child read a wrong checksum");
      break;
    }
    total_growth += static_cast<double>(result.growth);
    state.SetIterationTime(result.seconds);
  }
  state.counters["uss_bytes"] =
      benchmark::Counter(total_growth, benchmark::Counter::kAvgIterations);
}

BENCHMARK(SharedCounterPthreadFloor)
    ->Name("shared_counter/Value_lock/floor")
    ->Arg(200000)
    // Manual time is per increment: left to itself the library would ask for millions of
    // iterations (process pairs) to fill its minimum time.
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kNanosecond);
BENCHMARK(LockUncontendedPthreadFloor)
    ->Name("lock_uncontended/acquire_release/floor")
    ->Unit(benchmark::kNanosecond);
BENCHMARK(BulkArrayMemcpyFloor)
    ->Name("bulk_array/child_read/floor")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(CowMemoryForkChildUssFloor)
    ->Name("cow_memory/fork_child_uss/floor")
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
