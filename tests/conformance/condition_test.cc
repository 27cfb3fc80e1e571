// Condition with Python's semantics, across processes, under every start method; and owner death:
// a waiter or a lock holder killed with SIGKILL/TerminateProcess leaves nobody stuck.
#include "core/condition.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/handle_transport.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

using testing::MakeReportPipe;
using testing::ReceiveAll;
using testing::Send;

class ConditionConformance : public testing::StartMethodTest {
 protected:
  // Polls `value` (read under the condition's lock) until it reaches `expected`.
  static bool WaitUntilCount(Condition& condition, const Value<int>& value, int expected) {
    return testing::HoldsWithin(
        [&] {
          std::lock_guard<Condition> hold(condition);
          return value.get_obj().get() == expected;
        },
        absl::Seconds(20));
  }
};
MULTIPROC_FOR_EVERY_START_METHOD(ConditionConformance);

TEST(Condition, WaitOrNotifyWithoutTheLockIsAnAssertionError) {
  Condition condition;
  EXPECT_THROW(condition.wait(absl::Milliseconds(1)), AssertionError);
  EXPECT_THROW(condition.notify(), AssertionError);
  EXPECT_THROW(condition.notify_all(), AssertionError);
  Condition over_lock{Lock()};
  EXPECT_THROW(over_lock.wait(absl::Milliseconds(1)), AssertionError);
}

TEST(Condition, WaitTimesOutAfterAboutTheTimeoutAndKeepsTheLock) {
  Condition condition;
  std::lock_guard<Condition> hold(condition);
  absl::Time started = absl::Now();
  EXPECT_FALSE(condition.wait(absl::Milliseconds(200)));
  absl::Duration waited = absl::Now() - started;
  EXPECT_GE(waited, absl::Milliseconds(190));
  EXPECT_LT(waited, absl::Seconds(2));
  condition.notify();  // still held: no AssertionError
}

TEST(Condition, WaitReleasesAnRLockHeldRecursivelyAndRestoresItsCount) {
  RLock lock;
  Condition condition(lock);
  lock.acquire();
  lock.acquire();
  EXPECT_FALSE(condition.wait(absl::Milliseconds(10)));
  EXPECT_EQ(lock.recursion_count(), 2u);
  lock.release();
  lock.release();
}

TEST(Condition, WaitForReturnsThePredicatesLastValue) {
  Condition condition;
  std::lock_guard<Condition> hold(condition);
  EXPECT_EQ(condition.wait_for([] { return 7; }), 7) << "true at once: no wait";
  absl::Time started = absl::Now();
  EXPECT_EQ(condition.wait_for([] { return 0; }, absl::Milliseconds(150)), 0);
  EXPECT_GE(absl::Now() - started, absl::Milliseconds(140));
}

// Registers as a waiter, waits, and counts itself as woken if notified.
void WaitAndCount(Condition condition, Value<int> waiting, Value<int> woken) {
  std::lock_guard<Condition> hold(condition);
  waiting.get_obj().set(waiting.get_obj().get() + 1);
  if (condition.wait(absl::Seconds(20))) woken.get_obj().set(woken.get_obj().get() + 1);
}

TEST_P(ConditionConformance, NotifyWakesNWaitersAndNotifyAllWakesTheRest) {
  Condition condition;
  Value<int> waiting(0), woken(0);
  std::vector<Process> children;
  for (int i = 0; i < 4; ++i) {
    children.push_back(MakeProcess(WaitAndCount, condition, waiting, woken));
    children.back().start();
  }
  ASSERT_TRUE(WaitUntilCount(condition, waiting, 4));
  {
    std::lock_guard<Condition> hold(condition);
    condition.notify();
  }
  ASSERT_TRUE(WaitUntilCount(condition, woken, 1));
  {
    std::lock_guard<Condition> hold(condition);
    condition.notify(2);
  }
  ASSERT_TRUE(WaitUntilCount(condition, woken, 3));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(woken.get(), 3) << "notify(1) then notify(2) woke exactly 3 of 4";
  {
    std::lock_guard<Condition> hold(condition);
    condition.notify_all();
  }
  for (Process& child : children) {
    child.join(absl::Seconds(30));
    EXPECT_EQ(child.exitcode(), 0);
  }
  EXPECT_EQ(woken.get(), 4);
}

constexpr int kWaitingProcesses = 4;
constexpr int kThreadsPerProcess = 250;

void WaitAndCountInManyThreads(Condition condition, Value<int> waiting, Value<int> woken) {
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreadsPerProcess; ++i) {
    threads.emplace_back(WaitAndCount, condition, waiting, woken);
  }
  for (std::thread& thread : threads) thread.join();
}

// A thousand waiters on one Condition (and so on one Event) is ordinary; it used to stop at 128.
TEST_P(ConditionConformance, AThousandWaitersAcrossProcessesAllWakeOnNotifyAll) {
  Condition condition;
  Value<int> waiting(0), woken(0);
  std::vector<Process> children;
  for (int i = 0; i < kWaitingProcesses; ++i) {
    children.push_back(MakeProcess(WaitAndCountInManyThreads, condition, waiting, woken));
    children.back().start();
  }
  constexpr int kWaiters = kWaitingProcesses * kThreadsPerProcess;
  ASSERT_TRUE(WaitUntilCount(condition, waiting, kWaiters));
  {
    std::lock_guard<Condition> hold(condition);
    condition.notify_all();
  }
  for (Process& child : children) {
    child.join(absl::Seconds(60));
    EXPECT_EQ(child.exitcode(), 0);
  }
  EXPECT_EQ(woken.get(), kWaiters);
}

void SetAndNotify(Condition condition, Value<int> flag) {
  absl::SleepFor(absl::Milliseconds(50));
  std::lock_guard<Condition> hold(condition);
  flag.get_obj().set(42);
  condition.notify_all();
}

TEST_P(ConditionConformance, WaitForSeesAChildsChange) {
  Condition condition;
  Value<int> flag(0);
  Process child = MakeProcess(SetAndNotify, condition, flag);
  child.start();
  {
    std::lock_guard<Condition> hold(condition);
    EXPECT_TRUE(condition.wait_for([&] { return flag.get_obj().get() == 42; }, absl::Seconds(20)));
  }
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

// CPython's notify() would wait forever for the dead waiter to report itself woken.
TEST_P(ConditionConformance, AKilledWaiterNeitherBlocksNotifyNorTakesAWakeUp) {
  Condition condition;
  Value<int> waiting(0), woken(0);
  std::vector<Process> children;
  for (int i = 0; i < 3; ++i) {
    children.push_back(MakeProcess(WaitAndCount, condition, waiting, woken));
    children.back().start();
    ASSERT_TRUE(WaitUntilCount(condition, waiting, i + 1));
  }
  children[0].kill();
  children[0].join();
  EXPECT_EQ(children[0].exitcode(), -9);
  absl::Time started = absl::Now();
  {
    std::lock_guard<Condition> hold(condition);
    condition.notify();
  }
  ASSERT_TRUE(WaitUntilCount(condition, woken, 1)) << "the one notify went to a living waiter";
  {
    std::lock_guard<Condition> hold(condition);
    condition.notify_all();
  }
  EXPECT_LT(absl::Now() - started, absl::Seconds(2));
  for (size_t i = 1; i < children.size(); ++i) {
    children[i].join(absl::Seconds(20));
    EXPECT_EQ(children[i].exitcode(), 0);
  }
  EXPECT_EQ(woken.get(), 2);
}

void HoldConditionAndReport(Condition condition, platform::OwnedHandle report) {
  condition.acquire();
  Send(report, "held");
  absl::SleepFor(absl::Seconds(60));
}

TEST_P(ConditionConformance, AKilledLockHolderLeavesTheConditionUsable) {
  Condition condition{Lock()};
  Value<int> waiting(0), woken(0);
  Process waiter = MakeProcess(WaitAndCount, condition, waiting, woken);
  waiter.start();
  ASSERT_TRUE(WaitUntilCount(condition, waiting, 1));
  testing::ReportPipe pipe = MakeReportPipe();
  Process holder = MakeProcess(HoldConditionAndReport, condition, std::move(pipe.writer));
  holder.start();
  std::byte held[4];
  ASSERT_TRUE(platform::ReadExact(pipe.reader.get(), held).ok());
  holder.kill();
  ASSERT_TRUE(condition.acquire(true, absl::Seconds(10))) << "stuck behind a dead holder";
  EXPECT_TRUE(condition.owner_died());
  condition.notify();
  condition.release();
  waiter.join(absl::Seconds(20));
  EXPECT_EQ(waiter.exitcode(), 0);
  EXPECT_EQ(woken.get(), 1);
  holder.join();
}

// Reached after start(): the Condition arrives through the running-process transport.
void ReceiveConditionAndNotify(platform::OwnedHandle channel) {
  Condition condition;
  Value<int> flag(0);
  internal::ReceiveObjects(channel.get(), condition, flag);
  std::lock_guard<Condition> hold(condition);
  flag.get_obj().set(1);
  condition.notify();
}

TEST_P(ConditionConformance, AConditionReachesARunningProcess) {
  absl::StatusOr<platform::PipePair> channel = platform::CreateDuplexPipe();
  ASSERT_TRUE(channel.ok());
  Process child = MakeProcess(ReceiveConditionAndNotify, std::move(channel->second));
  child.start();
  Condition condition;
  Value<int> flag(0);
  std::lock_guard<Condition> hold(condition);
  internal::SendObjects(channel->first.get(), *child.pid(), condition, flag);
  EXPECT_TRUE(condition.wait_for([&] { return flag.get_obj().get() == 1; }, absl::Seconds(20)));
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

}  // namespace
}  // namespace multiproc
