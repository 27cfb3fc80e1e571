// Lock, RLock, Semaphore and BoundedSemaphore with Python's semantics, across processes, under
// every start method; and owner death: a holder killed with SIGKILL/TerminateProcess does not
// leave the others stuck.
#include "core/synchronize.h"

#include <string>

#include "absl/time/clock.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

using testing::MakeReportPipe;
using testing::Send;

class SynchronizeConformance : public testing::StartMethodTest {};
MULTIPROC_FOR_EVERY_START_METHOD(SynchronizeConformance);

TEST(Synchronize, LockSemanticsInOneProcess) {
  Lock lock;
  EXPECT_TRUE(lock.acquire());
  EXPECT_FALSE(lock.acquire(false));
  EXPECT_FALSE(lock.acquire(true, absl::Milliseconds(50)));
  lock.release();
  EXPECT_THROW(lock.release(), ValueError) << "released too many times";
  EXPECT_TRUE(lock.acquire(true, absl::Seconds(-1))) << "a negative timeout means do not wait";
  lock.release();
  EXPECT_FALSE(lock.owner_died());
}

TEST(Synchronize, RLockCountsPerOwner) {
  RLock lock;
  EXPECT_THROW(lock.release(), AssertionError);
  EXPECT_TRUE(lock.acquire());
  EXPECT_TRUE(lock.acquire());
  EXPECT_EQ(lock.recursion_count(), 2u);
  lock.release();
  EXPECT_EQ(lock.recursion_count(), 1u);
  lock.release();
  EXPECT_EQ(lock.recursion_count(), 0u);
  EXPECT_THROW(lock.release(), AssertionError);
}

TEST(Synchronize, SemaphoreMayGoAboveItsStartButBoundedMayNot) {
  Semaphore semaphore(1);
  semaphore.release();
  EXPECT_TRUE(semaphore.acquire(false));
  EXPECT_TRUE(semaphore.acquire(false));
  EXPECT_FALSE(semaphore.acquire(false));
  BoundedSemaphore bounded(2);
  EXPECT_TRUE(bounded.acquire(false));
  bounded.release();
  EXPECT_THROW(bounded.release(), ValueError);
}

void HoldLockAndReport(Lock lock, platform::OwnedHandle report) {
  lock.acquire();
  Send(report, "held");
  absl::SleepFor(absl::Seconds(2));
  lock.release();
}

TEST_P(SynchronizeConformance, ALockHeldInAChildExcludesTheParent) {
  Lock lock;
  testing::ReportPipe pipe = MakeReportPipe();
  Process child = MakeProcess(HoldLockAndReport, lock, std::move(pipe.writer));
  child.start();
  std::byte held[4];
  ASSERT_TRUE(platform::ReadExact(pipe.reader.get(), held).ok());
  EXPECT_FALSE(lock.acquire(false)) << "the child holds it";
  EXPECT_TRUE(lock.acquire(true, absl::Seconds(30))) << "the child releases it after 2 s";
  EXPECT_FALSE(lock.owner_died());
  lock.release();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

void HoldForeverAndReport(Lock lock, RLock rlock, platform::OwnedHandle report) {
  lock.acquire();
  rlock.acquire();
  rlock.acquire();
  Send(report, "held");
  absl::SleepFor(absl::Seconds(60));
}

// CPython and Boost.Interprocess would wait forever here.
TEST_P(SynchronizeConformance, TheNextAcquirerRecoversALockWhoseOwnerWasKilled) {
  Lock lock;
  RLock rlock;
  testing::ReportPipe pipe = MakeReportPipe();
  Process holder = MakeProcess(HoldForeverAndReport, lock, rlock, std::move(pipe.writer));
  holder.start();
  std::byte held[4];
  ASSERT_TRUE(platform::ReadExact(pipe.reader.get(), held).ok());
  holder.kill();
  absl::Time started = absl::Now();
  ASSERT_TRUE(lock.acquire(true, absl::Seconds(10))) << "still stuck behind a dead owner";
  EXPECT_TRUE(lock.owner_died());
  EXPECT_LT(absl::Now() - started, absl::Seconds(1));
  ASSERT_TRUE(rlock.acquire(true, absl::Seconds(10)));
  EXPECT_TRUE(rlock.owner_died());
  EXPECT_EQ(rlock.recursion_count(), 1u);
  lock.release();
  rlock.release();
  EXPECT_TRUE(lock.acquire(false)) << "a recovered lock works as usual";
  EXPECT_FALSE(lock.owner_died());
  lock.release();
  holder.join();
  EXPECT_EQ(holder.exitcode(), -9);
}

void ReleaseSemaphoreTwice(BoundedSemaphore semaphore) {
  semaphore.release();
  try {
    semaphore.release();
  } catch (const ValueError&) {
    multiproc::exit(7);  // the bound holds across processes
  }
}

TEST_P(SynchronizeConformance, BoundedSemaphoreBoundHoldsInAChild) {
  BoundedSemaphore semaphore(1);
  ASSERT_TRUE(semaphore.acquire());
  Process child = MakeProcess(ReleaseSemaphoreTwice, semaphore);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 7);
  EXPECT_TRUE(semaphore.acquire(false)) << "the child's first release counted";
}

}  // namespace
}  // namespace multiproc
