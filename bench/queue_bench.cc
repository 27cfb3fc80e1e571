// queue_throughput: 64-byte items (a std::string carrying a sequence number) through a Queue,
// a JoinableQueue (with task_done per item), 1 producer -> 1 consumer and 2 -> 2. Producers and
// consumers are child processes; each consumer times its first to its last item and reports
// (count, checksum, first, last) through a results queue; the manual time of an iteration runs
// from the earliest first item to the latest last item, so process start-up is not counted.
// The floor (posix_queue_floors.cc) is a shared-memory ring under a pthread mutex + condvars.
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/multiproc.h"

namespace multiproc {
namespace {

constexpr size_t kItemBytes = 64;
constexpr int64_t kSentinel = -1;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t SequenceOf(const std::string& item) {
  int64_t sequence = kSentinel;
  if (item.size() == kItemBytes) std::memcpy(&sequence, item.data(), sizeof(sequence));
  return sequence;
}

// (items, sum of sequence numbers, first item's time, last item's time)
using ConsumerReport = std::tuple<int64_t, int64_t, int64_t, int64_t>;

template <typename QueueType>
void Produce(QueueType queue, int64_t first, int64_t count) {
  std::string item(kItemBytes, 'q');
  for (int64_t sequence = first; sequence < first + count; ++sequence) {
    std::memcpy(item.data(), &sequence, sizeof(sequence));
    queue.put(item);
  }
}

void MarkDone(Queue<std::string>&) {}
void MarkDone(JoinableQueue<std::string>& queue) { queue.task_done(); }

template <typename QueueType>
void Consume(QueueType queue, Queue<ConsumerReport> reports) {
  int64_t count = 0, sum = 0, first = 0, last = 0;
  for (;;) {
    int64_t sequence = SequenceOf(queue.get());
    MarkDone(queue);
    if (sequence == kSentinel) break;
    last = NowNanos();
    if (count == 0) first = last;
    ++count;
    sum += sequence;
  }
  reports.put(ConsumerReport{count, sum, first, last});
}

template <typename QueueType>
void QueueThroughput(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  const int consumers = static_cast<int>(state.range(1));
  const int64_t per_producer = state.range(2);
  Context context = get_context();
  for (auto _ : state) {
    QueueType queue;
    Queue<ConsumerReport> reports;
    std::vector<Process> processes;
    for (int c = 0; c < consumers; ++c) {
      processes.push_back(context.process(Consume<QueueType>, queue, reports));
    }
    for (int p = 0; p < producers; ++p) {
      processes.push_back(
          context.process(Produce<QueueType>, queue, p * per_producer, per_producer));
    }
    for (Process& process : processes) process.start();
    for (int p = 0; p < producers; ++p) processes[consumers + p].join();
    for (int c = 0; c < consumers; ++c) {
      std::string sentinel(kItemBytes, 'q');
      std::memcpy(sentinel.data(), &kSentinel, sizeof(kSentinel));
      queue.put(sentinel);
    }
    int64_t count = 0, sum = 0, first = INT64_MAX, last = 0;
    for (int c = 0; c < consumers; ++c) {
      auto [items, checksum, began, ended] = reports.get(true, absl::Seconds(60));
      count += items;
      sum += checksum;
      if (items > 0) first = std::min(first, began);
      last = std::max(last, ended);
    }
    for (Process& process : processes) process.join();
    const int64_t total = producers * per_producer;
    if (count != total || sum != total * (total - 1) / 2 || last <= first) {
      state.SkipWithError("the consumers did not receive every item exactly once");
      return;
    }
    state.SetIterationTime(static_cast<double>(last - first) * 1e-9);
  }
  state.SetItemsProcessed(state.iterations() * producers * per_producer);
}

BENCHMARK(QueueThroughput<Queue<std::string>>)
    ->Name("queue_throughput/Queue_64B/multiproc")
    ->Args({1, 1, 200000})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(QueueThroughput<JoinableQueue<std::string>>)
    ->Name("queue_throughput/JoinableQueue_64B/multiproc")
    ->Args({1, 1, 200000})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(QueueThroughput<Queue<std::string>>)
    ->Name("queue_throughput/Queue_64B_2to2/multiproc")
    ->Args({2, 2, 100000})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace multiproc
