// The shared heap reuses the blocks of objects that are gone: a long-running process that keeps
// making and dropping small shared objects does not grow.
#include "core/shared_heap.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/sharedctypes.h"
#include "gtest/gtest.h"

namespace multiproc {
namespace {

constexpr int64_t kChurned = 1'000'000;
constexpr int64_t kKeptAlive = 50;
constexpr size_t kMappedBound = size_t{4} << 20;

// A service that makes a shared value per request and keeps a few of them: each kept one once
// pinned the chunk it was carved from, so the mapped size grew with the churn. RawValue, because
// the lock a Value adds is a kernel semaphore per object on Windows: a million of them take
// minutes under Wine and say nothing about the heap.
TEST(SharedHeap, ChurningValuesKeepsMappedSizeBounded) {
  std::vector<RawValue<int64_t>> kept;
  size_t peak_mapped = 0;
  for (int64_t i = 0; i < kChurned; ++i) {
    RawValue<int64_t> value(i);
    if (i % (kChurned / kKeptAlive) == 0) {
      kept.push_back(value);
      peak_mapped = std::max(peak_mapped, internal::MappedHeapBytes());
    }
  }
  EXPECT_LE(peak_mapped, kMappedBound);
  // Reuse never handed a live object's block to a new one.
  for (int64_t k = 0; k < kKeptAlive; ++k) EXPECT_EQ(kept[k].get(), k * (kChurned / kKeptAlive));
}

}  // namespace
}  // namespace multiproc
