// Receives the handle messages of one channel (handle_passing.h) reading ahead: one system call
// brings every message the peer has sent so far, and the next ones are then taken without a call.
// For a channel with a single reader that drains it, such as a Pool's replies from a worker,
// where per-message system calls were most of the cost of small tasks. A channel that other code
// reads after this one must use ReceiveHandleMessage, which never reads past its message.
//
//   platform::HandleMessageReceiver replies(channel);
//   do {
//     absl::StatusOr<platform::HandleMessage> message = replies.Receive();
//     ...
//   } while (replies.HasBufferedMessage());  // then wait for the channel to be readable again
//
// Windows reads one message per Receive (HasBufferedMessage is always false).
#ifndef MULTIPROC_PLATFORM_HANDLE_MESSAGE_RECEIVER_H_
#define MULTIPROC_PLATFORM_HANDLE_MESSAGE_RECEIVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "platform/handle.h"
#include "platform/handle_passing.h"

namespace multiproc::platform {

class HandleMessageReceiver {
 public:
  // Reads from `channel`, which the caller keeps open while this receiver is used.
  explicit HandleMessageReceiver(NativeHandle channel);
  ~HandleMessageReceiver();
  HandleMessageReceiver(HandleMessageReceiver&&) noexcept;
  HandleMessageReceiver& operator=(HandleMessageReceiver&&) noexcept;

  // The next message, blocking until it has arrived; the errors of ReceiveHandleMessage. After
  // an error the channel's stream is not usable any more.
  absl::StatusOr<HandleMessage> Receive();

  // Whether a whole message is already read ahead, so that Receive will not block, and waiting
  // for the channel to become readable would miss it.
  bool HasBufferedMessage() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_HANDLE_MESSAGE_RECEIVER_H_
