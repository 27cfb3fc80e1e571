// POSIX only: the frame of a handle message (handle_passing.cc, handle_message_receiver.cc). A
// message is a 12-byte header (body length, handle count) whose first byte carries the
// descriptors as SCM_RIGHTS ancillary data, then the body.
#ifndef MULTIPROC_PLATFORM_POSIX_HANDLE_FRAME_H_
#define MULTIPROC_PLATFORM_POSIX_HANDLE_FRAME_H_

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "platform/handle.h"
#include "platform/handle_passing.h"

namespace multiproc::platform::posix {

struct HandleFrameHeader {
  uint64_t body_length;
  uint32_t handle_count;
} __attribute__((packed));

// Room for the ancillary data of one message with the most handles a message may carry.
inline constexpr size_t kHandleControlSpace = CMSG_SPACE(sizeof(int) * kMaxHandlesPerMessage);

// DataLoss unless `header` announces what a message may hold and `handles_received` handles.
absl::Status CheckHandleFrameHeader(const HandleFrameHeader& header, size_t handles_received);

// recvmsg into `buffer` (blocking until some bytes arrive), appending the descriptors that came
// with them to `handles`: they are the receiver's even when an error is returned. Returns the
// byte count, 0 at the end of the stream (or a reset by a peer that died); DataLoss if
// descriptors were dropped.
//
// Linux delivers a message's descriptors with the first byte of its header and ends a read
// after the bytes that carried descriptors, so descriptors arrive in the order of the messages
// they belong to: a reader that reads ahead can hand each message its handle_count from the
// front of what it received.
absl::StatusOr<size_t> ReceiveWithHandles(int socket, absl::Span<std::byte> buffer,
                                          std::vector<OwnedHandle>& handles);

}  // namespace multiproc::platform::posix

#endif  // MULTIPROC_PLATFORM_POSIX_HANDLE_FRAME_H_
