// POSIX: reads ahead with recvmsg into one buffer. Descriptors queue in the order they arrive,
// which is the order of their messages (handle_frame.h), and each message takes its
// handle_count from the front of the queue.
#include "platform/handle_message_receiver.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <utility>
#include <vector>

#include "platform/pipe.h"
#include "platform/posix/handle_frame.h"

namespace multiproc::platform {

namespace {

using posix::HandleFrameHeader;

// The most one read brings. A message that does not fit is read straight into its own bytes.
constexpr size_t kReadAheadBytes = 64 * 1024;

}  // namespace

struct HandleMessageReceiver::State {
  NativeHandle channel;
  std::vector<std::byte> buffer = std::vector<std::byte>(kReadAheadBytes);
  size_t begin = 0;  // buffer[begin, end) was read and belongs to messages not yet taken
  size_t end = 0;
  std::vector<OwnedHandle> handles;  // received, not yet taken by a message

  size_t Buffered() const { return end - begin; }

  HandleFrameHeader PeekHeader() const {
    HandleFrameHeader header;
    std::memcpy(&header, buffer.data() + begin, sizeof(header));
    return header;
  }

  bool HasWholeMessage() const {
    return Buffered() >= sizeof(HandleFrameHeader) &&
           Buffered() - sizeof(HandleFrameHeader) >= PeekHeader().body_length;
  }

  // Moves the front `count` handles into `message`.
  void TakeHandles(uint32_t count, HandleMessage& message) {
    auto taken = handles.begin() + count;
    message.handles.assign(std::make_move_iterator(handles.begin()),
                           std::make_move_iterator(taken));
    handles.erase(handles.begin(), taken);
  }

  // Drops the bytes before `begin` so that the free space at the end is as large as it can be.
  void Compact() {
    std::memmove(buffer.data(), buffer.data() + begin, Buffered());
    end -= begin;
    begin = 0;
  }
};

HandleMessageReceiver::HandleMessageReceiver(NativeHandle channel)
    : state_(std::make_unique<State>()) {
  state_->channel = channel;
}
HandleMessageReceiver::~HandleMessageReceiver() = default;
HandleMessageReceiver::HandleMessageReceiver(HandleMessageReceiver&&) noexcept = default;
HandleMessageReceiver& HandleMessageReceiver::operator=(HandleMessageReceiver&&) noexcept = default;

bool HandleMessageReceiver::HasBufferedMessage() const { return state_->HasWholeMessage(); }

absl::StatusOr<HandleMessage> HandleMessageReceiver::Receive() {
  State& state = *state_;
  for (;;) {
    if (state.Buffered() >= sizeof(HandleFrameHeader)) {
      HandleFrameHeader header = state.PeekHeader();
      // Its descriptors came with its first byte: all of them are in the queue by now.
      if (absl::Status status = posix::CheckHandleFrameHeader(
              header, std::min<size_t>(header.handle_count, state.handles.size()));
          !status.ok()) {
        return status;
      }
      HandleMessage message;
      const std::byte* body = state.buffer.data() + state.begin + sizeof(header);
      if (state.HasWholeMessage()) {
        message.bytes.assign(reinterpret_cast<const char*>(body), header.body_length);
        state.begin += sizeof(header) + header.body_length;
        state.TakeHandles(header.handle_count, message);
        return message;
      }
      if (sizeof(header) + header.body_length > state.buffer.size()) {
        // Too large to read ahead: what is buffered, then the rest straight from the channel.
        message.bytes.assign(reinterpret_cast<const char*>(body),
                             state.Buffered() - sizeof(header));
        state.begin = state.end;
        state.TakeHandles(header.handle_count, message);
        if (absl::Status status = ReadAppending(
                state.channel, header.body_length - message.bytes.size(), message.bytes);
            !status.ok()) {
          return status;
        }
        return message;
      }
    }
    state.Compact();
    absl::StatusOr<size_t> got = posix::ReceiveWithHandles(
        static_cast<int>(state.channel),
        {state.buffer.data() + state.end, state.buffer.size() - state.end}, state.handles);
    if (!got.ok()) return got.status();
    if (*got == 0) {
      return absl::OutOfRangeError(state.Buffered() == 0 ? "channel closed before a message arrived"
                                                         : "channel closed inside a message");
    }
    state.end += *got;
  }
}

}  // namespace multiproc::platform
