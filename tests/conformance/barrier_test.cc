// Barrier with Python's semantics (indices, action, abort, reset, timeout), across processes,
// under every start method.
#include "core/barrier.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "core/handle_transport.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

using testing::MakeReportPipe;
using testing::ReceiveAll;
using testing::Send;

void WaitExpectingBroken(Barrier barrier);

class BarrierConformance : public testing::StartMethodTest {
 protected:
  // A child waiting at `barrier` (exit code 7 when it breaks), once it waits.
  Process StartWaitingChild(const Barrier& barrier) {
    Process child = MakeProcess(WaitExpectingBroken, barrier);
    child.start();
    absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (barrier.n_waiting() != 1 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    EXPECT_EQ(barrier.n_waiting(), 1u);
    return child;
  }
};
MULTIPROC_FOR_EVERY_START_METHOD(BarrierConformance);

// How often the barrier's action ran in this process.
int action_runs = 0;
void CountAction() { ++action_runs; }

void ThrowingAction() { throw ValueError("the action failed"); }

TEST(Barrier, OnePartyPassesAtOnceAndRunsTheAction) {
  action_runs = 0;
  Barrier barrier(1, CountAction);
  EXPECT_EQ(barrier.wait(), 0u);
  EXPECT_EQ(barrier.wait(), 0u) << "the barrier refills for a new round";
  EXPECT_EQ(action_runs, 2);
  EXPECT_EQ(barrier.parties(), 1u);
  EXPECT_FALSE(barrier.broken());
  EXPECT_THROW(Barrier(0), ValueError);
}

TEST(Barrier, ATimeoutBreaksTheBarrierUntilReset) {
  Barrier barrier(2);
  absl::Time started = absl::Now();
  EXPECT_THROW(barrier.wait(absl::Milliseconds(150)), BrokenBarrierError);
  EXPECT_GE(absl::Now() - started, absl::Milliseconds(140));
  EXPECT_TRUE(barrier.broken());
  EXPECT_THROW(barrier.wait(absl::Milliseconds(10)), BrokenBarrierError) << "stays broken";
  barrier.reset();
  EXPECT_FALSE(barrier.broken());
  Barrier default_timeout(2, nullptr, absl::Milliseconds(50));
  EXPECT_THROW(default_timeout.wait(), BrokenBarrierError) << "the constructor's timeout applies";
}

TEST(Barrier, AThrowingActionBreaksTheBarrierAndReachesItsParty) {
  Barrier barrier(1, ThrowingAction);
  EXPECT_THROW(barrier.wait(), ValueError);
  EXPECT_TRUE(barrier.broken());
}

void WaitAndReportIndex(Barrier barrier, platform::OwnedHandle report) {
  size_t index = barrier.wait();
  Send(report, absl::StrCat(index, ":", action_runs, ";"));
}

TEST_P(BarrierConformance, PartiesGetEachIndexOnceAndTheActionRunsOnce) {
  action_runs = 0;
  Barrier barrier(4, CountAction, absl::Seconds(20));
  testing::ReportPipe pipe = MakeReportPipe();
  std::vector<Process> children;
  for (int i = 0; i < 3; ++i) {
    children.push_back(MakeProcess(WaitAndReportIndex, barrier, pipe.writer.Duplicate().value()));
    children.back().start();
  }
  WaitAndReportIndex(barrier, std::move(pipe.writer));
  std::vector<std::string> reports =
      absl::StrSplit(ReceiveAll(pipe.reader), ';', absl::SkipEmpty());
  ASSERT_EQ(reports.size(), 4u);
  std::vector<int> indices;
  int runs = 0;
  for (const std::string& report : reports) {
    std::vector<std::string> parts = absl::StrSplit(report, ':');
    indices.push_back(std::stoi(parts[0]));
    runs += std::stoi(parts[1]);
  }
  std::sort(indices.begin(), indices.end());
  EXPECT_EQ(indices, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(runs, 1) << "exactly one party ran the action";
  for (Process& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  EXPECT_EQ(barrier.n_waiting(), 0u);
}

void WaitExpectingBroken(Barrier barrier) {
  try {
    barrier.wait(absl::Seconds(20));
  } catch (const BrokenBarrierError&) {
    multiproc::exit(7);
  }
}

TEST_P(BarrierConformance, AbortBreaksAWaitingChild) {
  Barrier barrier(3);
  Process child = StartWaitingChild(barrier);
  barrier.abort();
  child.join();
  EXPECT_EQ(child.exitcode(), 7);
  EXPECT_TRUE(barrier.broken());
}

TEST_P(BarrierConformance, ResetBreaksWaitersThenTheBarrierWorksAgain) {
  Barrier barrier(2);
  Process child = StartWaitingChild(barrier);
  barrier.reset();
  child.join();
  EXPECT_EQ(child.exitcode(), 7);
  EXPECT_FALSE(barrier.broken());
  Process partner = MakeProcess(WaitExpectingBroken, barrier);
  partner.start();
  EXPECT_LT(barrier.wait(absl::Seconds(20)), 2u);
  partner.join();
  EXPECT_EQ(partner.exitcode(), 0) << "the reset barrier passes two parties";
}

TEST_P(BarrierConformance, AChildsTimeoutBreaksTheParentsWait) {
  Barrier barrier(3, nullptr, absl::Milliseconds(300));
  Process child = MakeProcess(WaitExpectingBroken, barrier);
  child.start();
  // The child waits 20 s, so this party's 300 ms timeout is what breaks the barrier.
  absl::Time started = absl::Now();
  EXPECT_THROW(barrier.wait(), BrokenBarrierError);
  EXPECT_LT(absl::Now() - started, absl::Seconds(10));
  child.join();
  EXPECT_EQ(child.exitcode(), 7);
}

void WaitLong(Barrier barrier) { barrier.wait(absl::Seconds(60)); }

// CPython's barrier would hang here until the survivors' timeouts (or forever without one).
TEST_P(BarrierConformance, APartyKilledWhileWaitingBreaksTheBarrierForTheOthers) {
  Barrier barrier(3);
  Process doomed = MakeProcess(WaitLong, barrier);
  doomed.start();
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (barrier.n_waiting() != 1 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(barrier.n_waiting(), 1u);
  doomed.kill();
  doomed.join();
  absl::Time started = absl::Now();
  EXPECT_THROW(barrier.wait(absl::Seconds(30)), BrokenBarrierError);
  EXPECT_LT(absl::Now() - started, absl::Seconds(5)) << "noticed the death, not the timeout";
  EXPECT_TRUE(barrier.broken());
  barrier.reset();
  EXPECT_FALSE(barrier.broken());
  EXPECT_EQ(barrier.n_waiting(), 0u) << "the dead party is no longer counted";
  std::vector<Process> partners;
  for (int i = 0; i < 2; ++i) {
    partners.push_back(MakeProcess(WaitLong, barrier));
    partners.back().start();
  }
  EXPECT_LT(barrier.wait(absl::Seconds(20)), 3u) << "a full round passes after reset";
  for (Process& partner : partners) {
    partner.join();
    EXPECT_EQ(partner.exitcode(), 0);
  }
}

void ReceiveBarrierAndWait(platform::OwnedHandle channel, platform::OwnedHandle report) {
  Barrier barrier(1);
  internal::ReceiveObjects(channel.get(), barrier);
  size_t index = barrier.wait();
  Send(report, absl::StrCat(index, ":", action_runs));
}

TEST_P(BarrierConformance, ABarrierWithAnActionReachesARunningProcess) {
  action_runs = 0;
  absl::StatusOr<platform::PipePair> channel = platform::CreateDuplexPipe();
  ASSERT_TRUE(channel.ok());
  testing::ReportPipe pipe = MakeReportPipe();
  Process child =
      MakeProcess(ReceiveBarrierAndWait, std::move(channel->second), std::move(pipe.writer));
  child.start();
  Barrier barrier(2, CountAction, absl::Seconds(20));
  internal::SendObjects(channel->first.get(), *child.pid(), barrier);
  size_t mine = barrier.wait();
  std::string report = ReceiveAll(pipe.reader);
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  // Index 1 is the last to arrive, which runs the action in its own process.
  EXPECT_EQ(report, mine == 1 ? "0:0" : "1:1");
  EXPECT_EQ(action_runs, mine == 1 ? 1 : 0);
}

}  // namespace
}  // namespace multiproc
