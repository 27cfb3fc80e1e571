// Raw floors for shared_memory_bench on bare POSIX calls (see posix_floors.cc for why bench/ may
// call the OS directly): a pthread process-shared mutex in a MAP_SHARED page, and memcpy out of
// a shared mapping.
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "benchmark/benchmark.h"

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

BENCHMARK(SharedCounterPthreadFloor)
    ->Name("shared_counter/Value_lock/floor")
    ->Arg(200000)
    ->UseManualTime()
    ->Unit(benchmark::kNanosecond);
BENCHMARK(LockUncontendedPthreadFloor)
    ->Name("lock_uncontended/acquire_release/floor")
    ->Unit(benchmark::kNanosecond);
BENCHMARK(BulkArrayMemcpyFloor)
    ->Name("bulk_array/child_read/floor")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
