// Seed 004: Pool workers are reused, so a global a task appends to accumulates inside one worker
// (and maxtasksperchild=1 gives every task a fresh worker); the parent's copy never changes. And
// the seed's Queue problem: CPython refuses a multiprocessing.Queue as a pool task argument and
// needs Manager().Queue(); here a Queue is a valid task argument.
#include <iostream>
#include <vector>

#include "core/multiproc.h"

namespace {

std::vector<int> seen;  // each worker process has its own copy

// Appends `value` to this worker's global and returns how many values it holds now.
size_t Remember(int value) {
  seen.push_back(value);
  return seen.size();
}

void Report(multiproc::Queue<int> results, int value) { results.put(value * value); }

size_t Largest(const std::vector<size_t>& sizes) {
  size_t largest = 0;
  for (size_t size : sizes) largest = std::max(largest, size);
  return largest;
}

}  // namespace

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);
  std::vector<int> inputs = {1, 2, 3, 4, 5, 6, 7, 8};

  multiproc::Pool reused(multiproc::PoolOptions().processes(2));
  std::vector<size_t> sizes = reused.map(Remember, inputs, 1);
  std::cout << "reused workers: a worker's global grew to " << Largest(sizes) << " values\n";

  multiproc::Pool fresh(multiproc::PoolOptions().processes(2).maxtasksperchild(1));
  std::vector<size_t> fresh_sizes = fresh.map(Remember, inputs, 1);
  std::cout << "maxtasksperchild=1: largest global " << Largest(fresh_sizes) << " (fresh worker)\n";

  multiproc::Queue<int> results;
  std::vector<multiproc::AsyncResult<void>> pending;
  for (int value : inputs) pending.push_back(reused.apply_async(Report, results, value));
  for (auto& result : pending) result.get();
  int sum = 0;
  for (size_t i = 0; i < inputs.size(); ++i) sum += results.get(true, absl::Seconds(10));
  std::cout << "a Queue passed to 8 pool tasks collected sum of squares " << sum << "\n";
  std::cout << "the parent's own global is still empty: " << seen.empty() << "\n";
  bool ok = Largest(sizes) > 1 && Largest(fresh_sizes) == 1 && sum == 204 && seen.empty();
  return ok ? 0 : 1;
}
