#include "platform/pipe.h"

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/platform/test_support.h"

namespace multiproc::platform {
namespace {

using testing::AsBytes;
using testing::ReadToEnd;

std::string ReadText(NativeHandle end, size_t size) {
  std::string text(size, '\0');
  absl::Status status = ReadExact(end, {reinterpret_cast<std::byte*>(text.data()), text.size()});
  EXPECT_TRUE(status.ok()) << status;
  return text;
}

TEST(Pipe, DuplexCarriesBytesBothWays) {
  absl::StatusOr<PipePair> pipe = CreateDuplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE(WriteAll(pipe->first.get(), AsBytes("ping")).ok());
  EXPECT_EQ(ReadText(pipe->second.get(), 4), "ping");
  ASSERT_TRUE(WriteAll(pipe->second.get(), AsBytes("pong")).ok());
  EXPECT_EQ(ReadText(pipe->first.get(), 4), "pong");
}

TEST(Pipe, SimplexCarriesBytesFromSecondToFirst) {
  absl::StatusOr<PipePair> pipe = CreateSimplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE(WriteAll(pipe->second.get(), AsBytes("one way")).ok());
  pipe->second.reset();
  absl::StatusOr<std::string> text = ReadToEnd(pipe->first.get());
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "one way");
}

TEST(Pipe, WaitReadableTimesOutOnAnEmptyPipeAndSeesData) {
  absl::StatusOr<PipePair> pipe = CreateDuplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  absl::StatusOr<bool> empty = WaitReadable(pipe->first.get(), absl::Milliseconds(50));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_FALSE(*empty);
  EXPECT_FALSE(*WaitReadable(pipe->first.get(), absl::ZeroDuration()));
  ASSERT_TRUE(WriteAll(pipe->second.get(), AsBytes("x")).ok());
  absl::StatusOr<bool> ready = WaitReadable(pipe->first.get(), absl::Seconds(10));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_TRUE(*ready);
}

TEST(Pipe, PeerCloseIsEndOfStreamAndReadable) {
  absl::StatusOr<PipePair> pipe = CreateDuplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  pipe->second.reset();
  absl::StatusOr<bool> ready = WaitReadable(pipe->first.get(), absl::Seconds(10));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_TRUE(*ready);
  std::byte buffer[8];
  absl::StatusOr<size_t> got = ReadSome(pipe->first.get(), buffer);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, 0u);
}

TEST(Pipe, ReadExactReportsAStreamThatEndsEarly) {
  absl::StatusOr<PipePair> pipe = CreateSimplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE(WriteAll(pipe->second.get(), AsBytes("abc")).ok());
  pipe->second.reset();
  std::byte buffer[8];
  EXPECT_EQ(ReadExact(pipe->first.get(), buffer).code(), absl::StatusCode::kOutOfRange);
}

TEST(Pipe, ReadAppendingTakesExactlyTheLengthAndGrowsOnlyWithWhatArrives) {
  absl::StatusOr<PipePair> pipe = CreateSimplexPipe();
  ASSERT_TRUE(pipe.ok());
  ASSERT_TRUE(WriteAll(pipe->second.get(), AsBytes("headbodyrest")).ok());
  pipe->second.reset();
  std::string bytes = "head";
  ASSERT_TRUE(ReadAppending(pipe->first.get(), 0, bytes).ok());
  ASSERT_TRUE(ReadAppending(pipe->first.get(), 4, bytes).ok());
  EXPECT_EQ(bytes, "headhead");
  ASSERT_TRUE(ReadAppending(pipe->first.get(), 4, bytes).ok());
  EXPECT_EQ(bytes, "headheadbody");
  // "rest" is all that is left: a length of 1 TiB must fail on the short stream, not allocate.
  absl::Status status = ReadAppending(pipe->first.get(), uint64_t{1} << 40, bytes);
  EXPECT_TRUE(absl::IsOutOfRange(status)) << status;
  EXPECT_EQ(bytes, "headheadbody") << "a failed read leaves the bytes as they were";
}

TEST(Pipe, WritingToAClosedPeerIsAnErrorNotASignal) {
  for (bool duplex : {true, false}) {
    absl::StatusOr<PipePair> pipe = duplex ? CreateDuplexPipe() : CreateSimplexPipe();
    ASSERT_TRUE(pipe.ok()) << pipe.status();
    pipe->first.reset();
    absl::Status status = WriteAll(pipe->second.get(), AsBytes("nobody listens"));
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  }
}

// Far more than any pipe buffer: the writer blocks until the reader drains.
TEST(Pipe, LargeTransfersArriveIntactInOrder) {
  absl::StatusOr<PipePair> pipe = CreateDuplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  std::vector<std::byte> sent(8 << 20);
  for (size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<std::byte>(i * 131 + (i >> 13));
  std::thread writer([&] {
    EXPECT_TRUE(WriteAll(pipe->second.get(), sent).ok());
    pipe->second.reset();
  });
  absl::StatusOr<std::string> received = ReadToEnd(pipe->first.get());
  writer.join();
  ASSERT_TRUE(received.ok()) << received.status();
  ASSERT_EQ(received->size(), sent.size());
  EXPECT_EQ(std::memcmp(received->data(), sent.data(), sent.size()), 0);
}

// Like a manager server's per-client threads: threads that read and write pipes, then end. Any
// per-thread state the I/O leaves must be released cleanly (a thread_local event handle once
// had its destructor run on freed MinGW emutls storage at thread exit, corrupting the heap).
TEST(Pipe, ThreadsThatReadAndWriteThenEndLeaveTheProcessHealthy) {
  for (int round = 0; round < 50; ++round) {
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([] {
        absl::StatusOr<PipePair> pipe = CreateDuplexPipe();
        ASSERT_TRUE(pipe.ok()) << pipe.status();
        ASSERT_TRUE(WriteAll(pipe->first.get(), AsBytes("ping")).ok());
        EXPECT_EQ(ReadText(pipe->second.get(), 4), "ping");
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  std::vector<std::string> heap_work(1000, std::string(100, 'x'));  // a corrupt heap shows here
  EXPECT_EQ(heap_work.back().size(), 100u);
}

TEST(Pipe, ChildWritesThroughAPassedEnd) {
  absl::StatusOr<PipePair> pipe = CreateDuplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  absl::StatusOr<ChildProcess> child = testing::LaunchHelper(
      {"echo-args", testing::HandleArgument(pipe->second.get()), "hello from child"},
      {pipe->second.get()});
  ASSERT_TRUE(child.ok()) << child.status();
  pipe->second.reset();
  absl::StatusOr<std::string> text = ReadToEnd(pipe->first.get());
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "hello from child");
  EXPECT_TRUE(testing::WaitBriefly(*child).ok());
}

}  // namespace
}  // namespace multiproc::platform
