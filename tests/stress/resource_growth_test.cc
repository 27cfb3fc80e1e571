// No handle growth in a long-running parent: after 1,000 process start/join cycles under each
// start method, the parent holds exactly as many handles as before.
#include <string>

#include "core/multiproc.h"
#include "gtest/gtest.h"
#include "platform/process.h"

namespace multiproc {
namespace {

constexpr int kCycles = 1000;

void DoNothing() {}

void StartAndJoin(Context& context, int times) {
  for (int i = 0; i < times; ++i) {
    Process child = context.process(DoNothing);
    child.start();
    child.join();
    ASSERT_EQ(child.exitcode(), 0);
  }
}

class ResourceGrowth : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(StartMethods, ResourceGrowth, ::testing::ValuesIn(get_all_start_methods()),
                         [](const auto& info) { return info.param; });

TEST_P(ResourceGrowth, ThousandStartJoinCyclesLeaveNoHandleBehind) {
  Context context = get_context(GetParam());
  StartAndJoin(context, 10);  // first-use state (the forkserver, lazily made objects) settles
  int before = platform::CountOpenHandles();
  ASSERT_GT(before, 0) << "the OS cannot count this process's handles";
  StartAndJoin(context, kCycles);
  EXPECT_EQ(platform::CountOpenHandles(), before) << "handles leaked over " << kCycles << " cycles";
}

}  // namespace
}  // namespace multiproc
