// Every blocking call takes a std::chrono duration as well as an absl::Duration, so a program
// needs no Abseil to wait: the same waits as Python's timeout= arguments, under every start method.
#include "core/timeout.h"

#include <chrono>
#include <string>

#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

using namespace std::chrono_literals;

class TimeoutConformance : public testing::StartMethodTest {};
MULTIPROC_FOR_EVERY_START_METHOD(TimeoutConformance);

TEST(Timeout, ChronoDurationsConvertExactlyAndForeverStaysForever) {
  EXPECT_EQ(FromChronoDuration(250ms), absl::Milliseconds(250));
  EXPECT_EQ(FromChronoDuration(std::chrono::duration<double>(1.5)), absl::Milliseconds(1500));
  EXPECT_EQ(FromChronoDuration(-3us), absl::Microseconds(-3));
  EXPECT_EQ(FromChronoDuration(std::chrono::hours::max()), absl::InfiniteDuration());
  EXPECT_EQ(FromChronoDuration(std::chrono::nanoseconds::max()), absl::InfiniteDuration());
  EXPECT_FALSE(Timeout().has_value());
  EXPECT_FALSE(Timeout(std::nullopt).has_value());
  EXPECT_EQ(Timeout(2s), absl::Seconds(2));
  EXPECT_EQ(Timeout(absl::Seconds(2)), absl::Seconds(2));
}

void WaitForRelease(Event release) { release.wait(20s); }

int Twice(int value) { return 2 * value; }

TEST_P(TimeoutConformance, EveryBlockingCallTakesStdChrono) {
  Event release;
  Process child = MakeProcess(WaitForRelease, release);
  child.start();
  child.join(10ms);
  EXPECT_TRUE(child.is_alive()) << "join(10ms) returned at once, before its timeout";
  EXPECT_FALSE(release.wait(10ms));

  Queue<int> queue;
  EXPECT_THROW(queue.get(/*block=*/true, 10ms), Empty);
  JoinableQueue<int> tasks;
  tasks.put(1);
  EXPECT_FALSE(tasks.join(10ms));

  Lock lock;
  lock.acquire();
  EXPECT_FALSE(lock.acquire(/*block=*/true, 10ms));
  lock.release();
  Condition condition;
  condition.acquire();
  EXPECT_FALSE(condition.wait(10ms));
  condition.release();

  auto [reader, writer] = Pipe();
  EXPECT_FALSE(reader.poll(10ms));

  release.set();
  child.join(20s);
  EXPECT_EQ(child.exitcode(), 0);

  // The manager first: its fork-started server runs threads, which a child forked while the
  // pool's result thread runs may not start under ThreadSanitizer.
  SyncManager manager("", std::nullopt, GetParam());
  manager.start();
  EXPECT_THROW(manager.Queue<int>().get(/*block=*/true, 10ms), Empty);
  EXPECT_FALSE(manager.Event().wait(10ms));
  manager.shutdown();

  Pool pool(PoolOptions().processes(1).start_method(GetParam()));
  EXPECT_EQ(pool.apply_async(Twice, 21).get(20s), 42);
}

}  // namespace
}  // namespace multiproc
