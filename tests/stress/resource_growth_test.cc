// No handle growth in a long-running parent: after 1,000 process start/join cycles, and after
// 1,000 Pool worker recycles, under each start method, the parent holds exactly as many handles
// as before.
#include <chrono>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <vector>

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

int64_t WorkerPid(int) { return static_cast<int64_t>(current_process().pid); }

// Runs `tasks` tasks, one per chunk, and returns how many distinct workers ran them.
size_t DistinctWorkers(Pool& pool, int tasks) {
  std::vector<int> items(static_cast<size_t>(tasks));
  std::iota(items.begin(), items.end(), 0);
  std::vector<int64_t> pids = pool.map(WorkerPid, items, 1);
  return std::set<int64_t>(pids.begin(), pids.end()).size();
}

// The handle count once it has stayed the same for 200 ms (at most 10 s): when map() returns,
// the pool is still retiring the workers that ran the last tasks and starting their successors.
int SettledHandleCount() {
  int count = platform::CountOpenHandles();
  int unchanged = 0;
  for (int poll = 0; poll < 1000 && unchanged < 20; ++poll) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    int now = platform::CountOpenHandles();
    unchanged = now == count ? unchanged + 1 : 0;
    count = now;
  }
  return count;
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

TEST_P(ResourceGrowth, ThousandPoolWorkerRecyclesLeaveNoHandleBehind) {
  // Every worker retires after one task, so each task costs the pool one worker's replacement.
  Pool pool(PoolOptions().processes(2).maxtasksperchild(1).start_method(GetParam()));
  ASSERT_EQ(DistinctWorkers(pool, 10), 10u);  // first-use state settles
  int before = SettledHandleCount();
  ASSERT_GT(before, 0) << "the OS cannot count this process's handles";
  ASSERT_EQ(DistinctWorkers(pool, kCycles), static_cast<size_t>(kCycles));
  EXPECT_EQ(SettledHandleCount(), before)
      << "handles leaked over " << kCycles << " worker recycles";
  pool.close();
  pool.join();
}

}  // namespace
}  // namespace multiproc
