// The bootstrap payload as a spawned child reads it, given bytes no parent of ours would send.
#include "core/bootstrap.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include "gtest/gtest.h"
#include "platform/pipe.h"

namespace {
// The largest single allocation this test binary has made since the last reset.
std::atomic<size_t> largest_allocation{0};
}  // namespace

void* operator new(size_t size) {
  size_t seen = largest_allocation.load(std::memory_order_relaxed);
  while (size > seen && !largest_allocation.compare_exchange_weak(seen, size)) {
  }
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
// GCC takes the free() below for a mismatch with operator new, not seeing that both are ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, size_t) noexcept { std::free(memory); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace multiproc::internal {
namespace {

// A frame with the real header that announces `length` body bytes and sends `sent` of them.
std::string LyingFrame(uint64_t length, size_t sent) {
  std::string frame = "multiproc-bootstrap-v1\n";
  frame.append(reinterpret_cast<const char*>(&length), sizeof(length));
  frame.append(sent, 'x');
  return frame;
}

absl::StatusOr<ReceivedBootstrap> ReadFrom(const std::string& frame) {
  absl::StatusOr<platform::PipePair> pipe = platform::CreateSimplexPipe();
  if (!pipe.ok()) return pipe.status();
  absl::Status written = platform::WriteAll(
      pipe->second.get(), {reinterpret_cast<const std::byte*>(frame.data()), frame.size()});
  if (!written.ok()) return written;
  pipe->second.reset();
  return ReadBootstrap(pipe->first.get());
}

TEST(Bootstrap, AnAnnouncedLengthThatNeverArrivesCostsNoMoreMemoryThanTheBytesSent) {
  constexpr uint64_t kAnnounced = uint64_t{200} << 20;  // under the 256 MiB limit
  std::string frame = LyingFrame(kAnnounced, 10);
  largest_allocation = 0;
  absl::StatusOr<ReceivedBootstrap> received = ReadFrom(frame);
  ASSERT_FALSE(received.ok());
  EXPECT_TRUE(absl::IsDataLoss(received.status())) << received.status();
  EXPECT_NE(received.status().message().find("truncated"), std::string::npos) << received.status();
  EXPECT_LE(largest_allocation.load(), size_t{4} << 20)
      << "memory was allocated for bytes that never came";
}

TEST(Bootstrap, AnAnnouncedLengthOverTheLimitIsRefusedUnread) {
  absl::StatusOr<ReceivedBootstrap> received = ReadFrom(LyingFrame(uint64_t{1} << 40, 10));
  ASSERT_FALSE(received.ok());
  EXPECT_TRUE(absl::IsDataLoss(received.status())) << received.status();
  EXPECT_NE(received.status().message().find("allowed"), std::string::npos) << received.status();
}

TEST(Bootstrap, AWrongHeaderIsDataLoss) {
  absl::StatusOr<ReceivedBootstrap> received = ReadFrom("not a bootstrap frame at all");
  ASSERT_FALSE(received.ok());
  EXPECT_TRUE(absl::IsDataLoss(received.status())) << received.status();
}

}  // namespace
}  // namespace multiproc::internal
