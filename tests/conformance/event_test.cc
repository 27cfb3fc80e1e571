// Event with Python's semantics, across processes, under every start method.
#include "core/event.h"

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "core/handle_transport.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

using testing::MakeReportPipe;
using testing::ReceiveAll;
using testing::Send;

class EventConformance : public testing::StartMethodTest {};
MULTIPROC_FOR_EVERY_START_METHOD(EventConformance);

TEST(Event, SetClearIsSetAndWaitTimeouts) {
  Event event;
  EXPECT_FALSE(event.is_set());
  absl::Time started = absl::Now();
  EXPECT_FALSE(event.wait(absl::Milliseconds(150)));
  EXPECT_GE(absl::Now() - started, absl::Milliseconds(140));
  EXPECT_LT(absl::Now() - started, absl::Seconds(2));
  event.set();
  EXPECT_TRUE(event.is_set());
  EXPECT_TRUE(event.wait()) << "a set event does not block";
  EXPECT_TRUE(event.wait(absl::ZeroDuration()));
  event.clear();
  EXPECT_FALSE(event.is_set());
  EXPECT_FALSE(event.wait(absl::ZeroDuration()));
}

void WaitForEvent(Event event, platform::OwnedHandle report) {
  Send(report, event.wait(absl::Seconds(20)) ? "T" : "F");
}

TEST_P(EventConformance, SetWakesEveryWaitingChild) {
  Event event;
  testing::ReportPipe pipe = MakeReportPipe();
  std::vector<Process> children;
  for (int i = 0; i < 3; ++i) {
    children.push_back(MakeProcess(WaitForEvent, event, pipe.writer.Duplicate().value()));
    children.back().start();
  }
  pipe.writer.reset();
  // Set only once all three wait, so that set() wakes them rather than finding them late.
  ASSERT_TRUE(testing::HoldsWithin([&] { return internal::ThreadsWaitingOn(event) == 3; },
                                   absl::Seconds(20)));
  event.set();
  EXPECT_EQ(ReceiveAll(pipe.reader), "TTT");
  for (Process& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
}

void SetEvent(Event event) { event.set(); }

TEST_P(EventConformance, AChildSetsTheParentsEvent) {
  Event event;
  Process child = MakeProcess(SetEvent, event);
  child.start();
  EXPECT_TRUE(event.wait(absl::Seconds(20)));
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_TRUE(event.is_set());
}

// Seed 001/002 for events: the parent's Event is shared; one made fresh in a child is not.
void SetSharedAndOwn(Event shared, platform::OwnedHandle report) {
  Event own;
  own.set();
  shared.set();
  Send(report, own.is_set() ? "own-set;" : "own-unset;");
}

void ReportShared(Event shared, platform::OwnedHandle report) {
  Event own;
  bool shared_set = shared.wait(absl::Seconds(20));
  Send(report, std::string(shared_set ? "shared-set," : "shared-unset,") +
                   (own.is_set() ? "own-set;" : "own-unset;"));
}

TEST_P(EventConformance, ParentEventIsSharedFreshChildEventIsNot) {
  Event shared;
  testing::ReportPipe pipe = MakeReportPipe();
  Process setter = MakeProcess(SetSharedAndOwn, shared, pipe.writer.Duplicate().value());
  setter.start();
  setter.join();
  Process reader = MakeProcess(ReportShared, shared, std::move(pipe.writer));
  reader.start();
  EXPECT_EQ(ReceiveAll(pipe.reader), "own-set;shared-set,own-unset;");
  reader.join();
  EXPECT_TRUE(shared.is_set());
}

void ReceiveEventAndSet(platform::OwnedHandle channel) {
  Event event;
  internal::ReceiveObjects(channel.get(), event);
  event.set();
}

TEST_P(EventConformance, AnEventReachesARunningProcess) {
  absl::StatusOr<platform::PipePair> channel = platform::CreateDuplexPipe();
  ASSERT_TRUE(channel.ok());
  Process child = MakeProcess(ReceiveEventAndSet, std::move(channel->second));
  child.start();
  Event event;
  internal::SendObjects(channel->first.get(), *child.pid(), event);
  EXPECT_TRUE(event.wait(absl::Seconds(20)));
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

}  // namespace
}  // namespace multiproc
