#include "platform/semaphore.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "platform/process.h"
#include "tests/platform/test_support.h"

namespace multiproc::platform {
namespace {

TEST(Semaphore, CountsUnitsAndTimesOutWhenEmpty) {
  absl::StatusOr<Semaphore> semaphore = Semaphore::Create(2);
  ASSERT_TRUE(semaphore.ok()) << semaphore.status();
  EXPECT_TRUE(*semaphore->Acquire(absl::ZeroDuration()));
  EXPECT_TRUE(*semaphore->Acquire(absl::ZeroDuration()));
  EXPECT_FALSE(*semaphore->Acquire(absl::ZeroDuration()));
  absl::StatusOr<bool> late = semaphore->Acquire(absl::Milliseconds(50));
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_FALSE(*late);
  ASSERT_TRUE(semaphore->Release().ok());
  EXPECT_TRUE(*semaphore->Acquire(absl::ZeroDuration()));
}

TEST(Semaphore, ReleaseWakesABlockedThread) {
  absl::StatusOr<Semaphore> semaphore = Semaphore::Create(0);
  ASSERT_TRUE(semaphore.ok()) << semaphore.status();
  std::atomic<bool> acquired{false};
  std::thread waiter([&] { acquired = *semaphore->Acquire(absl::Seconds(30)); });
  ASSERT_TRUE(semaphore->Release().ok());
  waiter.join();
  EXPECT_TRUE(acquired);
}

// Threads hammer a counter protected only by a semaphore used as a mutex: any lost wake-up or
// double grant shows as a wrong total or a hang.
TEST(Semaphore, MutualExclusionHoldsUnderContention) {
  absl::StatusOr<Semaphore> mutex = Semaphore::Create(1);
  ASSERT_TRUE(mutex.ok()) << mutex.status();
  constexpr int kThreads = 4, kIterations = 20000;
  long counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIterations; ++i) {
        ASSERT_TRUE(*mutex->Acquire(absl::InfiniteDuration()));
        ++counter;
        ASSERT_TRUE(mutex->Release().ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter, long{kThreads} * kIterations);
}

TEST(Semaphore, ChildReleasesThroughAPassedHandle) {
  absl::StatusOr<Semaphore> semaphore = Semaphore::Create(0);
  ASSERT_TRUE(semaphore.ok()) << semaphore.status();
  absl::StatusOr<ChildProcess> child = testing::LaunchHelper(
      {"sem-release", testing::HandleArgument(semaphore->handle())}, {semaphore->handle()});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_TRUE(*semaphore->Acquire(absl::Seconds(30)));
  EXPECT_TRUE(*semaphore->Acquire(absl::Seconds(30)));
  absl::StatusOr<ExitStatus> status = testing::WaitBriefly(*child);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->exit_code, 0);
  EXPECT_FALSE(*semaphore->Acquire(absl::ZeroDuration()));
}

TEST(Event, SetClearAndWait) {
  absl::StatusOr<Event> event = Event::Create();
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_FALSE(event->IsSet());
  absl::StatusOr<bool> unset = event->Wait(absl::Milliseconds(50));
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_FALSE(*unset);
  ASSERT_TRUE(event->Set().ok());
  EXPECT_TRUE(event->IsSet());
  EXPECT_TRUE(*event->Wait(absl::ZeroDuration()));
  EXPECT_TRUE(*event->Wait(absl::ZeroDuration())) << "a manual-reset event stays set";
  ASSERT_TRUE(event->Clear().ok());
  EXPECT_FALSE(event->IsSet());
}

TEST(Event, SetWakesEveryWaitingThread) {
  absl::StatusOr<Event> event = Event::Create();
  ASSERT_TRUE(event.ok()) << event.status();
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([&] {
      if (*event->Wait(absl::Seconds(30))) ++woken;
    });
  }
  ASSERT_TRUE(event->Set().ok());
  for (std::thread& waiter : waiters) waiter.join();
  EXPECT_EQ(woken, 3);
}

TEST(Event, ChildSetsThroughAPassedHandle) {
  absl::StatusOr<Event> event = Event::Create();
  ASSERT_TRUE(event.ok()) << event.status();
  absl::StatusOr<ChildProcess> child = testing::LaunchHelper(
      {"event-set", testing::HandleArgument(event->handle())}, {event->handle()});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_TRUE(*event->Wait(absl::Seconds(30)));
  absl::StatusOr<ExitStatus> status = testing::WaitBriefly(*child);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->exit_code, 0);
}

}  // namespace
}  // namespace multiproc::platform
