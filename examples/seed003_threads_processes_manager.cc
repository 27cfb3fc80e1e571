// Seed 003: three threads append to one list and see each other's items; three processes each
// append to their own copy, so the parent's list stays empty; a Manager list is shared by all
// three processes (9 items), and a Queue collects results from three processes.
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "core/multiproc.h"

namespace {

std::vector<int> nums;  // the seed's `nums = []`
std::mutex nums_mutex;

void AppendThreeTimes(int i) {
  for (int x = 0; x < 3; ++x) {
    std::lock_guard<std::mutex> hold(nums_mutex);
    nums.push_back(i);
  }
}

void AppendToOwnCopy(std::vector<int> copy, int i) {
  for (int x = 0; x < 3; ++x) copy.push_back(i);  // a copy: the parent never sees these
}

void AppendToManagedList(multiproc::ListProxy<int> shared, multiproc::LockProxy lock, int i) {
  for (int x = 0; x < 3; ++x) {
    std::lock_guard<multiproc::LockProxy> hold(lock);
    shared.append(i);
  }
}

void ReportSquare(multiproc::Queue<int> results, int i) { results.put(i * i); }

template <typename Target, typename... Args>
void RunThree(Target target, const Args&... args) {
  std::vector<multiproc::Process> children;
  for (int i = 0; i < 3; ++i) {
    children.emplace_back(target, args..., i);
    children.back().start();
  }
  for (multiproc::Process& child : children) child.join();
}

}  // namespace

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);

  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back(AppendThreeTimes, i);
  for (std::thread& thread : threads) thread.join();
  std::cout << "threads share one list: " << nums.size() << " items\n";
  size_t from_threads = nums.size();
  nums.clear();

  RunThree(AppendToOwnCopy, nums);
  std::cout << "processes append to copies: the parent's list has " << nums.size() << " items\n";

  multiproc::SyncManager manager = multiproc::Manager();
  multiproc::ListProxy<int> shared = manager.list<int>();
  multiproc::LockProxy lock = manager.Lock();
  RunThree(AppendToManagedList, shared, lock);
  size_t from_manager = shared.snapshot().size();
  std::cout << "a Manager list is shared: " << from_manager << " items\n";

  multiproc::Queue<int> results;
  RunThree(ReportSquare, results);
  int sum = 0;
  for (int i = 0; i < 3; ++i) sum += results.get(true, absl::Seconds(10));
  std::cout << "a Queue collected 0 + 1 + 4 = " << sum << " from three processes\n";
  return from_threads == 9 && nums.empty() && from_manager == 9 && sum == 5 ? 0 : 1;
}
