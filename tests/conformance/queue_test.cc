// Queue, SimpleQueue and JoinableQueue with Python's semantics across processes, under every
// start method, and the CPython deadlocks they fix: a producer that exits before its item is read
// can be joined, a get() nobody can satisfy raises EOFError, a producer killed mid-put does not
// stop the others, and a queue reaches an already-running process.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "core/handle_transport.h"
#include "core/queues.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

using testing::MakeReportPipe;
using testing::ReceiveAll;
using testing::Send;

class QueueConformance : public testing::StartMethodTest {};
MULTIPROC_FOR_EVERY_START_METHOD(QueueConformance);

// Generous: a child under ASan and spawn may take a second to start.
constexpr absl::Duration kPatience = absl::Seconds(20);

// A recognisable large item: byte i is a function of i, so a torn or shifted copy shows.
std::string Pattern(size_t size) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 131 + i / 4099) & 0xff);
  return bytes;
}

// A copy of `queue` as another process would receive it, read as a `Received`.
template <typename Received, typename Sent>
Received Reread(const Sent& queue) {
  HandleTable handles;
  std::string bytes = internal::Encode(handles, queue);
  HandleTable received(std::move(handles));
  Received copy;
  internal::Decode(bytes, received, copy);
  return copy;
}

// ---- In one process ----

TEST(Queue, KeepsOrderAndCountsExactly) {
  Queue<int> queue;
  EXPECT_TRUE(queue.empty());
  for (int i = 1; i <= 5; ++i) queue.put(i);
  EXPECT_EQ(queue.qsize(), 5);
  EXPECT_FALSE(queue.empty());
  EXPECT_FALSE(queue.full()) << "unbounded";
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(queue.get_nowait(), i);
  EXPECT_EQ(queue.qsize(), 0);
  EXPECT_TRUE(queue.empty());
  EXPECT_THROW(queue.get_nowait(), Empty);
}

TEST(Queue, PutOnAFullBoundedQueueRaisesFull) {
  Queue<std::string> queue(2);
  queue.put("a");
  queue.put_nowait("b");
  EXPECT_TRUE(queue.full());
  EXPECT_THROW(queue.put_nowait("c"), Full);
  absl::Time started = absl::Now();
  EXPECT_THROW(queue.put("c", true, absl::Milliseconds(200)), Full);
  absl::Duration waited = absl::Now() - started;
  EXPECT_GE(waited, absl::Milliseconds(190));
  EXPECT_LT(waited, absl::Seconds(3));
  EXPECT_EQ(queue.get(), "a");
  EXPECT_FALSE(queue.full());
  queue.put_nowait("c");
  EXPECT_EQ(queue.qsize(), 2);
  EXPECT_EQ(queue.get(), "b");
  EXPECT_EQ(queue.get(), "c");
}

TEST(Queue, GetRaisesEmptyAfterAboutTheTimeout) {
  Queue<int> queue;
  absl::Time started = absl::Now();
  EXPECT_THROW(queue.get(true, absl::Milliseconds(250)), Empty);
  absl::Duration waited = absl::Now() - started;
  EXPECT_GE(waited, absl::Milliseconds(240));
  EXPECT_LT(waited, absl::Seconds(3));
}

TEST(Queue, SmallItemsCycleThroughASmallRing) {
  Queue<std::string> queue(0, 4096);
  // Many small items cycle through a 4 KiB ring many times over.
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 10; ++i) queue.put(absl::StrCat(round, "/", i, std::string(100, 'x')));
    for (int i = 0; i < 10; ++i) {
      ASSERT_EQ(queue.get_nowait(), absl::StrCat(round, "/", i, std::string(100, 'x')));
    }
  }
}

TEST(Queue, BadArgumentsAreValueErrors) {
  EXPECT_THROW(Queue<int>(int64_t{1} << 40), ValueError) << "maxsize above 2^31 - 1";
  EXPECT_THROW(Queue<int>(0, 100), ValueError) << "a ring smaller than 4 KiB";
  EXPECT_THROW(Queue<int>(0, size_t{1} << 50), ValueError) << "a ring larger than 1 TiB";
  Queue<int> negative(-5);  // Python: maxsize <= 0 means unbounded
  for (int i = 0; i < 10; ++i) negative.put_nowait(i);
  EXPECT_FALSE(negative.full());
}

TEST(Queue, AnItemCarryingHandlesIsASerializationError) {
  Queue<Lock> queue;
  EXPECT_THROW(queue.put(Lock()), SerializationError);
  EXPECT_TRUE(queue.empty()) << "nothing half-put";
}

TEST(Queue, AnItemOfAnotherTypeIsASerializationErrorAndTheQueueStaysUsable) {
  Queue<std::string> strings;
  strings.put("not an int at all");
  Queue<int> ints = Reread<Queue<int>>(strings);
  EXPECT_THROW(ints.get(true, absl::Seconds(1)), SerializationError);
  EXPECT_EQ(strings.qsize(), 0) << "the undecodable item was taken";
  strings.put("again");
  EXPECT_EQ(strings.get(true, absl::Seconds(1)), "again");
}

TEST(Queue, AQueueDecodedAsAnotherKindIsASerializationError) {
  Queue<int> queue;
  EXPECT_THROW(Reread<JoinableQueue<int>>(queue), SerializationError);
}

TEST(Queue, AJoinableQueueReceivedAsAQueueKeepsCountingTasks) {
  JoinableQueue<int> joinable;
  Queue<int> plain = Reread<Queue<int>>(joinable);
  plain.put(7);
  EXPECT_FALSE(joinable.join(absl::Milliseconds(10)));
  EXPECT_EQ(joinable.get(), 7);
  joinable.task_done();
  EXPECT_TRUE(joinable.join(absl::Milliseconds(10)));
}

TEST(Queue, CloseForbidsPutAndGetAndAllowsJoinThread) {
  Queue<int> queue;
  EXPECT_THROW(queue.join_thread(), AssertionError) << "Python asserts the queue is closed";
  queue.put(1);
  queue.cancel_join_thread();
  queue.close();
  EXPECT_THROW(queue.put(2), ValueError);
  EXPECT_THROW(queue.get_nowait(), ValueError);
  queue.join_thread();  // returns at once: there is no feeder thread
}

TEST(JoinableQueue, AnExtraTaskDoneIsAValueError) {
  JoinableQueue<int> queue;
  EXPECT_THROW(queue.task_done(), ValueError);
  queue.put(1);
  queue.put(2);
  EXPECT_FALSE(queue.join(absl::Milliseconds(50))) << "two items are unfinished";
  queue.get();
  queue.task_done();
  queue.get();
  queue.task_done();
  EXPECT_TRUE(queue.join(absl::Milliseconds(50)));
  queue.join();
  EXPECT_THROW(queue.task_done(), ValueError);
}

// Each thread's put and get leave per-thread state behind; a thread that ends must release it
// cleanly (under MinGW a thread_local with a destructor once ran it on freed memory at thread
// exit and corrupted the heap).
TEST(Queue, ThreadsThatPutAndGetThenEndLeaveTheProcessHealthy) {
  Queue<std::string> queue;
  for (int round = 0; round < 50; ++round) {
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&queue, round, i] {
        std::string item = absl::StrCat(round, "/", i, std::string(1000 * (i + 1), 'x'));
        queue.put(item);
        EXPECT_FALSE(queue.get(true, absl::Seconds(10)).empty());
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  queue.put("after");
  EXPECT_EQ(queue.get(true, absl::Seconds(1)), "after");
}

// ---- Across processes ----

void GetAndReport(Queue<int> queue, int count, platform::OwnedHandle report) {
  std::vector<int> got;
  for (int i = 0; i < count; ++i) got.push_back(queue.get(true, kPatience));
  Send(report, absl::StrJoin(got, ","));
}

TEST_P(QueueConformance, ItemsPutBeforeAndAfterTheConsumerStartsArriveInOrder) {
  Queue<int> queue;
  testing::ReportPipe pipe = MakeReportPipe();
  queue.put(1);
  queue.put(2);
  Process consumer = MakeProcess(GetAndReport, queue, 5, std::move(pipe.writer));
  consumer.start();
  queue.put(3);
  // 4 and 5 go in once the consumer has taken the first three: while it runs.
  ASSERT_TRUE(testing::HoldsWithin([&] { return queue.empty(); }, absl::Seconds(20)));
  queue.put(4);
  queue.put(5);
  EXPECT_EQ(ReceiveAll(pipe.reader), "1,2,3,4,5");
  consumer.join();
  EXPECT_EQ(consumer.exitcode(), 0);
  EXPECT_TRUE(queue.empty());
}

void PutRange(Queue<int> queue, int first, int count) {
  for (int i = 0; i < count; ++i) queue.put(first + i);
}

// Takes items until it gets -1, then reports what it took through `results`.
void DrainUntilSentinel(Queue<int> queue, Queue<std::vector<int>> results) {
  std::vector<int> taken;
  for (int item = queue.get(true, kPatience); item != -1; item = queue.get(true, kPatience)) {
    taken.push_back(item);
  }
  results.put(taken);
}

// Once bounded by maxsize, once by a 4 KiB ring that fills and wraps around hundreds of times.
TEST_P(QueueConformance, ThreeProducersAndTwoConsumersDeliverEveryItemOnce) {
  constexpr int kPerProducer = 2000;
  for (auto [maxsize, capacity] : {std::pair<int64_t, size_t>{50, kDefaultQueueCapacity},
                                   std::pair<int64_t, size_t>{0, 4096}}) {
    Queue<int> queue(maxsize, capacity);
    Queue<std::vector<int>> results;
    std::vector<Process> processes;
    for (int p = 0; p < 3; ++p) {
      processes.push_back(MakeProcess(PutRange, queue, p * 100000, kPerProducer));
    }
    for (int c = 0; c < 2; ++c) {
      processes.push_back(MakeProcess(DrainUntilSentinel, queue, results));
    }
    for (Process& process : processes) process.start();
    for (int p = 0; p < 3; ++p) {
      processes[p].join();
      EXPECT_EQ(processes[p].exitcode(), 0);
    }
    queue.put(-1);
    queue.put(-1);
    std::vector<int> all = results.get(true, kPatience);
    std::vector<int> second = results.get(true, kPatience);
    all.insert(all.end(), second.begin(), second.end());
    for (int c = 3; c < 5; ++c) {
      processes[c].join();
      EXPECT_EQ(processes[c].exitcode(), 0);
    }
    std::sort(all.begin(), all.end());
    std::vector<int> expected;
    for (int p = 0; p < 3; ++p) {
      for (int i = 0; i < kPerProducer; ++i) expected.push_back(p * 100000 + i);
    }
    EXPECT_EQ(all, expected) << "every item exactly once; maxsize " << maxsize;
    EXPECT_EQ(queue.qsize(), 0);
  }
}

void PutThreeTimes(Queue<int> results, int i) {
  for (int x = 0; x < 3; ++x) results.put(i);
}

// Seed 003 with a Queue: three processes report their work to the parent through one queue.
TEST_P(QueueConformance, Seed003AQueueCollectsResultsFromThreeProcesses) {
  Queue<int> results;
  std::vector<Process> children;
  for (int i = 0; i < 3; ++i) children.push_back(MakeProcess(PutThreeTimes, results, i));
  for (Process& child : children) child.start();
  std::vector<int> got;
  for (int n = 0; n < 9; ++n) got.push_back(results.get(true, kPatience));
  for (Process& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<int>{0, 0, 0, 1, 1, 1, 2, 2, 2}));
  EXPECT_TRUE(results.empty());
}

void PutOneItem(Queue<std::string> queue, uint64_t size) { queue.put(Pattern(size)); }

// CPython: joining a process whose feeder thread still holds a 1 MB item deadlocks.
TEST_P(QueueConformance, AProducerThatPutOneMegabyteCanBeJoinedBeforeAnyoneReads) {
  Queue<std::string> queue;
  Process producer = MakeProcess(PutOneItem, queue, uint64_t{1} << 20);
  producer.start();
  producer.join(kPatience);
  ASSERT_EQ(producer.exitcode(), 0) << "join returned without the producer ending";
  EXPECT_EQ(queue.qsize(), 1);
  EXPECT_EQ(queue.get(true, kPatience), Pattern(size_t{1} << 20));
}

TEST_P(QueueConformance, AnEightMegabyteItemArrivesIntact) {
  Queue<std::string> queue;
  Process producer = MakeProcess(PutOneItem, queue, uint64_t{8} << 20);
  producer.start();
  EXPECT_EQ(queue.get(true, kPatience), Pattern(size_t{8} << 20));
  producer.join();
  EXPECT_EQ(producer.exitcode(), 0);
}

TEST_P(QueueConformance, AnItemLargerThanTheRingStreamsThroughWhileAConsumerReads) {
  Queue<std::string> queue(0, 64 << 10);
  Process producer = MakeProcess(PutOneItem, queue, (uint64_t{3} << 20) + 7);
  producer.start();
  EXPECT_EQ(queue.get(true, kPatience), Pattern((size_t{3} << 20) + 7));
  producer.join();
  EXPECT_EQ(producer.exitcode(), 0);
  EXPECT_EQ(queue.qsize(), 0);
}

TEST_P(QueueConformance, GetRaisesEOFErrorOnceEveryOtherHolderExited) {
  Queue<std::string> queue;
  Process producer = MakeProcess(PutOneItem, queue, uint64_t{10});
  producer.start();
  // Before the child runs, its copy is in flight: get() must wait for it, not give up.
  EXPECT_EQ(queue.get(true, kPatience), Pattern(10));
  producer.join();
  absl::Time started = absl::Now();
  EXPECT_THROW(queue.get(), EOFError) << "CPython would block forever here";
  EXPECT_LT(absl::Now() - started, absl::Seconds(3));
}

void ExpectEOFError(Queue<int> queue) {
  try {
    queue.get(true, kPatience);
  } catch (const EOFError&) {
    multiproc::exit(3);
  }
}

TEST_P(QueueConformance, AChildsGetRaisesEOFErrorWhenTheOnlyProducerClosesTheQueue) {
  Queue<int> queue;
  Process consumer = MakeProcess(ExpectEOFError, queue);
  consumer.start();
  queue.close();  // this process will put no more
  consumer.join(kPatience);
  EXPECT_EQ(consumer.exitcode(), 3);
}

void ProcessTasks(JoinableQueue<int> tasks, Queue<int> results, int count) {
  for (int i = 0; i < count; ++i) {
    int task = tasks.get(true, kPatience);
    results.put(task * task);
    tasks.task_done();
  }
}

TEST_P(QueueConformance, JoinableQueueJoinWaitsForEveryTaskDone) {
  JoinableQueue<int> tasks;
  Queue<int> results;
  for (int i = 1; i <= 5; ++i) tasks.put(i);
  EXPECT_FALSE(tasks.join(absl::Milliseconds(20)));
  Process worker = MakeProcess(ProcessTasks, tasks, results, 5);
  worker.start();
  EXPECT_TRUE(tasks.join(kPatience));
  EXPECT_EQ(results.qsize(), 5) << "every task_done came after its result";
  worker.join();
  EXPECT_EQ(worker.exitcode(), 0);
  EXPECT_THROW(tasks.task_done(), ValueError) << "one more than was put";
  int sum = 0;
  for (int i = 0; i < 5; ++i) sum += results.get_nowait();
  EXPECT_EQ(sum, 1 + 4 + 9 + 16 + 25);
}

// A reused worker (seed 004's Pool): it is already running when each task's queues arrive.
void ServeTasks(platform::OwnedHandle channel, int task_count) {
  for (int task = 0; task < task_count; ++task) {
    Queue<int> input(1);
    SimpleQueue<int> output;
    internal::ReceiveObjects(channel.get(), input, output);
    int sum = 0;
    for (int i = 0; i < 3; ++i) sum += input.get(true, kPatience);
    output.put(sum);
  }
}

TEST_P(QueueConformance, QueuesSentToARunningProcessWork) {
  absl::StatusOr<platform::PipePair> channel = platform::CreateDuplexPipe();
  ASSERT_TRUE(channel.ok());
  Process worker = MakeProcess(ServeTasks, std::move(channel->second), 2);
  worker.start();
  for (int task = 0; task < 2; ++task) {
    Queue<int> input;
    SimpleQueue<int> output;
    input.put(task * 10 + 1);
    internal::SendObjects(channel->first.get(), *worker.pid(), input, output);
    input.put(task * 10 + 2);
    input.put(task * 10 + 3);
    // SimpleQueue::get has no timeout (as in Python); the worker's exit would make it EOFError.
    EXPECT_EQ(output.get(), task * 30 + 6);
  }
  worker.join(kPatience);
  EXPECT_EQ(worker.exitcode(), 0);
}

void StartPuttingAndReport(Queue<std::string> queue, platform::OwnedHandle report) {
  Send(report, "putting");
  queue.put(Pattern(size_t{1} << 20));  // blocks holding the write lock: nobody reads yet
}

// CPython: a producer killed while holding the queue's lock leaves every other user stuck.
TEST_P(QueueConformance, AProducerKilledMidPutDoesNotHangTheOthers) {
  Queue<std::string> queue(0, 64 << 10);
  testing::ReportPipe pipe = MakeReportPipe();
  Process producer = MakeProcess(StartPuttingAndReport, queue, std::move(pipe.writer));
  producer.start();
  std::byte putting[7];
  ASSERT_TRUE(platform::ReadExact(pipe.reader.get(), putting).ok());
  absl::SleepFor(absl::Milliseconds(300));  // it fills the 64 KiB ring in far less
  ASSERT_TRUE(producer.is_alive());
  producer.kill();
  producer.join();
  EXPECT_EQ(queue.qsize(), 0) << "a partial item is not an item";
  absl::Time started = absl::Now();
  // The torn item is dropped, and its producer was the only other holder.
  EXPECT_THROW(queue.get(true, absl::Milliseconds(500)), EOFError);
  queue.put("after", true, absl::Seconds(5));
  EXPECT_LT(absl::Now() - started, absl::Seconds(4)) << "the dead producer's lock was taken over";
  EXPECT_EQ(queue.get(true, absl::Seconds(5)), "after");
  EXPECT_EQ(queue.qsize(), 0);
}

void PutAndCountSimple(SimpleQueue<std::string> queue) {
  queue.put("one");
  queue.put("two");
}

TEST_P(QueueConformance, SimpleQueueCarriesItemsBetweenProcesses) {
  SimpleQueue<std::string> queue;
  Process producer = MakeProcess(PutAndCountSimple, queue);
  producer.start();
  producer.join();
  EXPECT_EQ(producer.exitcode(), 0);
  EXPECT_FALSE(queue.empty());
  EXPECT_EQ(queue.get(), "one");
  EXPECT_EQ(queue.get(), "two");
  EXPECT_TRUE(queue.empty());
  EXPECT_THROW(queue.get(), EOFError) << "the producer is gone";
}

}  // namespace
}  // namespace multiproc
