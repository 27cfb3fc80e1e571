// Raw floor for queue_bench on bare POSIX calls (see posix_floors.cc for why bench/ may call the
// OS directly): queue_throughput/Queue_64B/floor moves 64-byte records from a forked producer to
// a forked consumer through a ring of 1024 slots in a MAP_SHARED page, guarded by a
// process-shared pthread mutex with "not empty" and "not full" condition variables. Timed as
// queue_bench.cc does: from the consumer's first item to its last.
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>

#include "benchmark/benchmark.h"

namespace {

constexpr size_t kSlots = 1024;
constexpr size_t kRecordBytes = 64;

struct SharedRing {
  pthread_mutex_t mutex;
  pthread_cond_t not_empty;
  pthread_cond_t not_full;
  uint64_t head;
  uint64_t tail;
  int64_t received;
  int64_t checksum;
  int64_t first_ns;
  int64_t last_ns;
  char slots[kSlots][kRecordBytes];
};

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void ProduceRecords(SharedRing* ring, int64_t count) {
  char record[kRecordBytes];
  std::memset(record, 'q', sizeof(record));
  for (int64_t sequence = 0; sequence < count; ++sequence) {
    std::memcpy(record, &sequence, sizeof(sequence));
    pthread_mutex_lock(&ring->mutex);
    while (ring->tail - ring->head == kSlots) pthread_cond_wait(&ring->not_full, &ring->mutex);
    std::memcpy(ring->slots[ring->tail % kSlots], record, kRecordBytes);
    ++ring->tail;
    pthread_cond_signal(&ring->not_empty);
    pthread_mutex_unlock(&ring->mutex);
  }
}

void ConsumeRecords(SharedRing* ring, int64_t count) {
  char record[kRecordBytes];
  for (int64_t i = 0; i < count; ++i) {
    pthread_mutex_lock(&ring->mutex);
    while (ring->tail == ring->head) pthread_cond_wait(&ring->not_empty, &ring->mutex);
    std::memcpy(record, ring->slots[ring->head % kSlots], kRecordBytes);
    ++ring->head;
    pthread_cond_signal(&ring->not_full);
    pthread_mutex_unlock(&ring->mutex);
    int64_t sequence = 0;
    std::memcpy(&sequence, record, sizeof(sequence));
    ring->last_ns = NowNanos();
    if (i == 0) ring->first_ns = ring->last_ns;
    ++ring->received;
    ring->checksum += sequence;
  }
}

void QueueThroughputPthreadFloor(benchmark::State& state) {
  const int64_t count = state.range(0);
  void* page =
      mmap(nullptr, sizeof(SharedRing), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  auto* ring = static_cast<SharedRing*>(page);
  pthread_mutexattr_t mutex_attributes;
  pthread_mutexattr_init(&mutex_attributes);
  pthread_mutexattr_setpshared(&mutex_attributes, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&ring->mutex, &mutex_attributes);
  pthread_condattr_t condition_attributes;
  pthread_condattr_init(&condition_attributes);
  pthread_condattr_setpshared(&condition_attributes, PTHREAD_PROCESS_SHARED);
  pthread_cond_init(&ring->not_empty, &condition_attributes);
  pthread_cond_init(&ring->not_full, &condition_attributes);
  for (auto _ : state) {
    ring->head = ring->tail = 0;
    ring->received = ring->checksum = 0;
    pid_t consumer = fork();
    if (consumer == 0) {
      ConsumeRecords(ring, count);
      _exit(0);
    }
    pid_t producer = fork();
    if (producer == 0) {
      ProduceRecords(ring, count);
      _exit(0);
    }
    waitpid(producer, nullptr, 0);
    waitpid(consumer, nullptr, 0);
    if (ring->received != count || ring->checksum != count * (count - 1) / 2 ||
        ring->last_ns <= ring->first_ns) {
      state.SkipWithError("the floor lost records");
      break;
    }
    state.SetIterationTime(static_cast<double>(ring->last_ns - ring->first_ns) * 1e-9);
  }
  state.SetItemsProcessed(state.iterations() * count);
  munmap(page, sizeof(SharedRing));
}

BENCHMARK(QueueThroughputPthreadFloor)
    ->Name("queue_throughput/Queue_64B/floor")
    ->Arg(200000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
