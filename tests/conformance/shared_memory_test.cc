// Shared memory objects under every start method: seed 001/002 (objects made in the parent are
// shared by children; one made fresh in a child is not) and the locked-counter exactness test.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/sharedctypes.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

using testing::MakeReportPipe;
using testing::ReceiveAll;
using testing::Send;

class SharedMemoryConformance : public testing::StartMethodTest {};
MULTIPROC_FOR_EVERY_START_METHOD(SharedMemoryConformance);

constexpr int kIncrements = 2000;

void IncrementUnderLock(Value<int64_t> counter) {
  for (int i = 0; i < kIncrements; ++i) {
    std::lock_guard hold(counter.get_lock());
    counter.get_obj().set(counter.get_obj().get() + 1);
  }
}

TEST_P(SharedMemoryConformance, LockedCounterIsExactAcrossProcesses) {
  Value<int64_t> counter(0);
  std::vector<Process> children;
  for (int i = 0; i < 3; ++i) {
    children.push_back(MakeProcess(IncrementUnderLock, counter));
    children.back().start();
  }
  for (Process& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  EXPECT_EQ(counter.get(), 3 * kIncrements);
}

// Python's `with counter.get_lock(): counter.value += 1`, written with the synchronized get() and
// set() under the held lock: they take the same lock again, which an RLock allows.
void IncrementThroughGetAndSetUnderLock(Value<int64_t> counter, Array<int64_t> slots) {
  for (int i = 0; i < kIncrements; ++i) {
    std::lock_guard hold(counter.get_lock());
    counter.set(counter.get() + 1);
    std::lock_guard hold_slots(slots.get_lock());
    slots.set(0, slots.get(0) + 1);
  }
}

TEST_P(SharedMemoryConformance, PythonsGetLockIdiomDoesNotDeadlock) {
  Value<int64_t> counter(0);
  Array<int64_t> slots(1);
  std::vector<Process> children;
  for (int i = 0; i < 2; ++i) {
    children.push_back(MakeProcess(IncrementThroughGetAndSetUnderLock, counter, slots));
    children.back().start();
  }
  for (Process& child : children) {
    child.join(absl::Seconds(60));
    if (child.is_alive()) child.kill();  // deadlocked: fail, don't hang the suite
    child.join();
    EXPECT_EQ(child.exitcode(), 0) << "a child deadlocked on its own get_lock()";
  }
  EXPECT_EQ(counter.get(), 2 * kIncrements);
  EXPECT_EQ(slots.get(0), 2 * kIncrements);
  {
    std::lock_guard hold(counter.get_lock());  // and in this process, re-entered twice
    counter.set(counter.get() + 1);
  }
  EXPECT_EQ(counter.get(), 2 * kIncrements + 1);
}

// Each child makes a Value of its own and increments it; a fresh object is private to its
// maker, while the parent's Value, received as an argument, is shared.
void IncrementOwnAndShared(Value<int> shared, platform::OwnedHandle report) {
  Value<int> own(0);
  for (int i = 0; i < 100; ++i) {
    own.set(own.get() + 1);
    std::lock_guard hold(shared.get_lock());
    shared.get_obj().set(shared.get_obj().get() + 1);
  }
  Send(report, absl::StrCat(own.get(), ";"));
}

TEST_P(SharedMemoryConformance, ParentObjectsAreSharedFreshChildObjectsAreNot) {
  Value<int> shared(0);
  testing::ReportPipe pipe = MakeReportPipe();
  std::vector<Process> children;
  for (int i = 0; i < 2; ++i) {
    children.push_back(MakeProcess(IncrementOwnAndShared, shared, pipe.writer.Duplicate().value()));
    children.back().start();
  }
  pipe.writer.reset();
  EXPECT_EQ(ReceiveAll(pipe.reader), "100;100;") << "each child's own Value stays its own";
  for (Process& child : children) child.join();
  EXPECT_EQ(shared.get(), 200) << "the parent's Value is shared";
}

void FillArray(RawArray<int64_t> array) {
  for (size_t i = 0; i < array.size(); ++i) array[i] = static_cast<int64_t>(i * 3);
}

TEST_P(SharedMemoryConformance, RawArrayIsSharedNotCopied) {
  RawArray<int64_t> array(1 << 16);
  Process child = MakeProcess(FillArray, array);
  child.start();
  child.join();
  ASSERT_EQ(child.exitcode(), 0);
  for (size_t i = 0; i < array.size(); i += 997) EXPECT_EQ(array[i], static_cast<int64_t>(i * 3));
}

void SumValues(std::vector<Value<int>> values, platform::OwnedHandle report) {
  int64_t sum = 0;
  for (const Value<int>& value : values) sum += value.get();
  Send(report, absl::StrCat(sum));
}

TEST_P(SharedMemoryConformance, TenThousandValuesShareAFewHandles) {
  size_t descriptors_before = testing::OpenDescriptorCount();
  std::vector<Value<int>> values;
  values.reserve(10000);
  for (int i = 0; i < 10000; ++i) values.emplace_back(i % 7);
  if (platform::SupportsFork()) {
    EXPECT_LT(testing::OpenDescriptorCount(), descriptors_before + 10)
        << "Values come from the heap";
  }
  std::vector<Value<int>> some(values.begin(), values.begin() + 700);
  int64_t expected = 0;
  for (const Value<int>& value : some) expected += value.get();
  testing::ReportPipe pipe = MakeReportPipe();
  Process child = MakeProcess(SumValues, some, std::move(pipe.writer));
  child.start();
  EXPECT_EQ(ReceiveAll(pipe.reader), absl::StrCat(expected));
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

constexpr int64_t kSentValue = 42;
constexpr int64_t kChildWrites = -1;
constexpr int64_t kParentWrites = 7;
constexpr size_t kSentValues = 100;  // their blocks fill the pending list past its first recheck

// Reads and then overwrites Values whose blocks the parent dropped, once it says it has made new
// ones.
void ReadThenOverwrite(std::vector<Value<int64_t>> values, Event parent_made_new_values,
                       platform::OwnedHandle report) {
  parent_made_new_values.wait();
  int64_t unchanged = 0;
  for (Value<int64_t>& value : values) {
    if (value.get() == kSentValue) ++unchanged;
    value.set(kChildWrites);
  }
  Send(report, absl::StrCat(unchanged));
}

// CPython frees a heap block when the creating process collects its object; a child still using
// it then shares bytes with the parent's next object. multiproc reuses a block only when no
// process can reach it.
TEST_P(SharedMemoryConformance, BlockDroppedByParentIsNotReusedWhileChildHoldsIt) {
  testing::ReportPipe pipe = MakeReportPipe();
  Event parent_made_new_values;
  Process child = [&] {
    std::vector<Value<int64_t>> sent;
    for (size_t i = 0; i < kSentValues; ++i) sent.emplace_back(kSentValue);
    Process started =
        MakeProcess(ReadThenOverwrite, sent, parent_made_new_values, std::move(pipe.writer));
    started.start();
    return started;
  }();
  std::vector<Value<int64_t>> made_after;
  for (size_t i = 0; i < 20 * kSentValues; ++i) made_after.emplace_back(kParentWrites);
  parent_made_new_values.set();
  EXPECT_EQ(ReceiveAll(pipe.reader), absl::StrCat(kSentValues));
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  for (const Value<int64_t>& value : made_after) ASSERT_EQ(value.get(), kParentWrites);
}

TEST(SharedValues, BadSizesAndIndicesAreTypedErrors) {
  EXPECT_THROW(RawArray<int>(0), ValueError);
  RawArray<int> array(4);
  EXPECT_THROW(array.at(4), std::out_of_range);
  Array<int> locked(2);
  EXPECT_THROW(locked.get(2), std::out_of_range);
  locked.set(1, 5);
  EXPECT_EQ(locked.get(1), 5);
}

}  // namespace
}  // namespace multiproc
