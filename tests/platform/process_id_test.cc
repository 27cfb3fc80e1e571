// CachedProcessId: the cached value is this process's id, and a fork child gets its own.
#include "platform/process_id.h"

#include "gtest/gtest.h"

namespace multiproc::platform {
namespace {

TEST(CachedProcessId, IsTheCurrentProcessId) {
  EXPECT_EQ(CachedProcessId(), CurrentProcessId());
  EXPECT_EQ(CachedProcessId(), CurrentProcessId()) << "again, from the cache";
}

TEST(CachedProcessId, IsFreshInAForkChild) {
  if (!SupportsFork()) GTEST_SKIP() << "no fork on this platform";
  ProcessId parent = CachedProcessId();  // cached before the fork
  absl::StatusOr<ChildProcess> child = ForkAndRun(
      [parent] {
        return CachedProcessId() == CurrentProcessId() && parent != CurrentProcessId() ? 0 : 1;
      },
      false);
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<std::optional<ExitStatus>> status = child->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok() && status->has_value());
  EXPECT_EQ((*status)->python_exitcode(), 0) << "the child saw its parent's cached pid";
  EXPECT_EQ(CachedProcessId(), parent);
}

}  // namespace
}  // namespace multiproc::platform
