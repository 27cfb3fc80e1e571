// Sending handles to a process that is already running, together with a message: the way a Pool
// worker, a forkserver or a manager receives a Lock, a Queue or a Pipe end after it started.
// POSIX: SCM_RIGHTS over a Unix-domain socket (a duplex pipe); Windows: DuplicateHandle into
// the receiver, the values travelling in the message.
//
//   RETURN_IF_ERROR(platform::SendHandleMessage(channel, peer_pid, bytes, {fd_a, fd_b}));
//   absl::StatusOr<platform::HandleMessage> got = platform::ReceiveHandleMessage(channel);
#ifndef MULTIPROC_PLATFORM_HANDLE_PASSING_H_
#define MULTIPROC_PLATFORM_HANDLE_PASSING_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "platform/handle.h"
#include "platform/process.h"

namespace multiproc::platform {

// A received message: its bytes and the handles that came with it, now owned by the receiver
// (their values differ from the sender's).
struct HandleMessage {
  std::string bytes;
  std::vector<OwnedHandle> handles;
};

// The most handles one message may carry, and the largest message.
inline constexpr size_t kMaxHandlesPerMessage = 250;
inline constexpr size_t kMaxHandleMessageBytes = size_t{1} << 30;

// Sends `bytes` and copies of `handles` over the duplex pipe end `channel` to `receiver`, the
// process at the other end. The sender keeps its own handles.
absl::Status SendHandleMessage(NativeHandle channel, ProcessId receiver,
                               absl::Span<const std::byte> bytes,
                               absl::Span<const NativeHandle> handles);

// Receives one message sent by SendHandleMessage. OutOfRange if the peer closed the channel
// before a whole message arrived; DataLoss if the framing is corrupt or exceeds the limits.
absl::StatusOr<HandleMessage> ReceiveHandleMessage(NativeHandle channel);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_HANDLE_PASSING_H_
