// Sending objects, handles included, to a process that is already running: the values are
// serialized with their HandleTable, the handles go by platform::SendHandleMessage (POSIX
// SCM_RIGHTS, Windows DuplicateHandle into the receiver), and the receiver rebuilds them. This is
// how a Lock, a Queue or a Pipe end will reach a Pool worker as a task argument.
//
//   // parent, holding one end of a duplex pipe whose other end the worker has:
//   internal::SendObjects(channel, worker.pid().value(), region, pipe_end);
//   // worker:
//   internal::ReceiveObjects(channel, region, pipe_end);
#ifndef MULTIPROC_CORE_HANDLE_TRANSPORT_H_
#define MULTIPROC_CORE_HANDLE_TRANSPORT_H_

#include <string>

#include "core/serialization.h"
#include "core/status_errors.h"
#include "platform/handle_passing.h"

namespace multiproc::internal {

// Sends `values` to `receiver` over the duplex pipe end `channel`. Throws OSError if the receiver
// is gone, SerializationError-family errors for unsendable values.
template <typename... T>
void SendObjects(platform::NativeHandle channel, platform::ProcessId receiver, const T&... values) {
  HandleTable handles;
  std::string bytes = Encode(handles, values...);
  ThrowIfError(
      platform::SendHandleMessage(channel, receiver,
                                  {reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()},
                                  handles.values()),
      "sending objects to a running process");
}

// Receives what SendObjects sent, into `values`. Throws OSError if the sender closed the channel,
// SerializationError if the message does not hold these types.
template <typename... T>
void ReceiveObjects(platform::NativeHandle channel, T&... values) {
  absl::StatusOr<platform::HandleMessage> message = platform::ReceiveHandleMessage(channel);
  ThrowIfError(message.status(), "receiving objects from another process");
  HandleTable handles(std::move(message->handles));
  Decode(message->bytes, handles, values...);
}

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_HANDLE_TRANSPORT_H_
