#include "platform/handle_message_receiver.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "platform/handle_passing.h"
#include "platform/pipe.h"
#include "platform/process.h"
#include "tests/platform/test_support.h"

namespace multiproc::platform {
namespace {

using testing::AsBytes;

// Sends `text` with `handles` to this process over `channel`.
void SendToSelf(NativeHandle channel, const std::string& text,
                std::vector<NativeHandle> handles = {}) {
  absl::Status sent = SendHandleMessage(channel, CurrentProcessId(), AsBytes(text), handles);
  ASSERT_TRUE(sent.ok()) << sent;
}

HandleMessage ReceiveOk(HandleMessageReceiver& receiver) {
  absl::StatusOr<HandleMessage> message = receiver.Receive();
  EXPECT_TRUE(message.ok()) << message.status();
  return message.ok() ? std::move(*message) : HandleMessage{};
}

// True if bytes written to `write_end` come out of the pipe's read end `read_end`.
bool Connected(NativeHandle write_end, NativeHandle read_end, const std::string& probe) {
  if (!WriteAll(write_end, AsBytes(probe)).ok()) return false;
  std::string got(probe.size(), '\0');
  return ReadExact(read_end, {reinterpret_cast<std::byte*>(got.data()), got.size()}).ok() &&
         got == probe;
}

TEST(HandleMessageReceiver, MessagesSentTogetherComeOutOneByOneWithTheirOwnHandles) {
  absl::StatusOr<PipePair> channel = CreateDuplexPipe();
  absl::StatusOr<PipePair> first = CreateSimplexPipe();
  absl::StatusOr<PipePair> second = CreateSimplexPipe();
  ASSERT_TRUE(channel.ok() && first.ok() && second.ok());
  SendToSelf(channel->first.get(), "no handles");
  SendToSelf(channel->first.get(), "two handles", {first->second.get(), second->second.get()});
  SendToSelf(channel->first.get(), "");
  SendToSelf(channel->first.get(), "one handle", {second->second.get()});

  HandleMessageReceiver receiver(channel->second.get());
  HandleMessage none = ReceiveOk(receiver);
  EXPECT_EQ(none.bytes, "no handles");
  EXPECT_TRUE(none.handles.empty());
#ifndef _WIN32
  // One read brought all four: the rest are taken without a system call.
  EXPECT_TRUE(receiver.HasBufferedMessage());
#endif
  HandleMessage two = ReceiveOk(receiver);
  EXPECT_EQ(two.bytes, "two handles");
  ASSERT_EQ(two.handles.size(), 2u);
  EXPECT_TRUE(Connected(two.handles[0].get(), first->first.get(), "to first"));
  EXPECT_TRUE(Connected(two.handles[1].get(), second->first.get(), "to second"));
  HandleMessage empty = ReceiveOk(receiver);
  EXPECT_EQ(empty.bytes, "");
  EXPECT_TRUE(empty.handles.empty());
  HandleMessage one = ReceiveOk(receiver);
  EXPECT_EQ(one.bytes, "one handle");
  ASSERT_EQ(one.handles.size(), 1u);
  EXPECT_TRUE(Connected(one.handles[0].get(), second->first.get(), "to second again"));
  EXPECT_FALSE(receiver.HasBufferedMessage());
}

TEST(HandleMessageReceiver, MessagesLargerThanTheReadAheadArriveWhole) {
  absl::StatusOr<PipePair> channel = CreateDuplexPipe();
  absl::StatusOr<PipePair> pipe = CreateSimplexPipe();
  ASSERT_TRUE(channel.ok() && pipe.ok());
  std::string large(3 << 20, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 7 + i / 4096);
  std::thread sender([&] {
    SendToSelf(channel->first.get(), "before");
    SendToSelf(channel->first.get(), large, {pipe->second.get()});
    SendToSelf(channel->first.get(), "after");
  });
  HandleMessageReceiver receiver(channel->second.get());
  EXPECT_EQ(ReceiveOk(receiver).bytes, "before");
  HandleMessage big = ReceiveOk(receiver);
  EXPECT_TRUE(big.bytes == large) << "the large message changed; size " << big.bytes.size();
  ASSERT_EQ(big.handles.size(), 1u);
  EXPECT_TRUE(Connected(big.handles[0].get(), pipe->first.get(), "with the large one"));
  HandleMessage after = ReceiveOk(receiver);
  EXPECT_EQ(after.bytes, "after");
  EXPECT_TRUE(after.handles.empty());
  sender.join();
}

TEST(HandleMessageReceiver, ThePeerClosingIsOutOfRangeBetweenOrInsideMessages) {
  absl::StatusOr<PipePair> channel = CreateDuplexPipe();
  ASSERT_TRUE(channel.ok());
  SendToSelf(channel->first.get(), "whole");
  ASSERT_TRUE(WriteAll(channel->first.get(), AsBytes("12345")).ok());  // a header cut short
  channel->first.reset();
  HandleMessageReceiver receiver(channel->second.get());
  EXPECT_EQ(ReceiveOk(receiver).bytes, "whole");
  absl::StatusOr<HandleMessage> cut = receiver.Receive();
  EXPECT_TRUE(absl::IsOutOfRange(cut.status())) << cut.status();
}

}  // namespace
}  // namespace multiproc::platform
