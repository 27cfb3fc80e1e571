// POSIX only: handles travel as SCM_RIGHTS ancillary data on a Unix-domain stream socket, in the
// frame of handle_frame.h. The header's descriptors arrive with its first byte, so they cannot
// attach to another message.
#include "platform/handle_passing.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "platform/pipe.h"
#include "platform/posix/handle_frame.h"

namespace multiproc::platform {

namespace {

using posix::HandleFrameHeader;
using posix::kHandleControlSpace;

// One sendmsg carries the header, the descriptors and as much of the body as the socket takes:
// a receiver woken by the header then finds the body already there instead of blocking again
// (one context switch per message instead of two).
absl::Status SendFrame(int socket, const HandleFrameHeader& header,
                       absl::Span<const std::byte> body, absl::Span<const NativeHandle> handles) {
  iovec data[2] = {{const_cast<HandleFrameHeader*>(&header), sizeof(header)},
                   {const_cast<std::byte*>(body.data()), body.size()}};
  alignas(cmsghdr) char control[kHandleControlSpace] = {};
  msghdr message{};
  message.msg_iov = data;
  message.msg_iovlen = body.empty() ? 1 : 2;
  if (!handles.empty()) {
    message.msg_control = control;
    message.msg_controllen = CMSG_SPACE(sizeof(int) * handles.size());
    cmsghdr* rights = CMSG_FIRSTHDR(&message);
    rights->cmsg_level = SOL_SOCKET;
    rights->cmsg_type = SCM_RIGHTS;
    rights->cmsg_len = CMSG_LEN(sizeof(int) * handles.size());
    int* descriptors = reinterpret_cast<int*>(CMSG_DATA(rights));
    for (size_t i = 0; i < handles.size(); ++i) descriptors[i] = static_cast<int>(handles[i]);
  }
  ssize_t sent;
  do {
    sent = ::sendmsg(socket, &message, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0 && (errno == EPIPE || errno == ECONNRESET)) {
    return absl::UnavailableError("sendmsg: the receiver closed the channel");
  }
  if (sent < 0) return absl::ErrnoToStatus(errno, "sendmsg(SCM_RIGHTS)");
  // The descriptors went with the first byte; the rest is plain data.
  size_t done = static_cast<size_t>(sent);
  auto header_bytes = reinterpret_cast<const std::byte*>(&header);
  if (done < sizeof(header)) {
    if (absl::Status status = WriteAll(socket, {header_bytes + done, sizeof(header) - done});
        !status.ok()) {
      return status;
    }
    done = sizeof(header);
  }
  return WriteAll(socket, body.subspan(done - sizeof(header)));
}

}  // namespace

absl::Status SendHandleMessage(NativeHandle channel, ProcessId /*receiver*/,
                               absl::Span<const std::byte> bytes,
                               absl::Span<const NativeHandle> handles) {
  if (handles.size() > kMaxHandlesPerMessage || bytes.size() > kMaxHandleMessageBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("message too large: ", bytes.size(), " bytes, ", handles.size(), " handles"));
  }
  HandleFrameHeader header{bytes.size(), static_cast<uint32_t>(handles.size())};
  return SendFrame(static_cast<int>(channel), header, bytes, handles);
}

absl::StatusOr<HandleMessage> ReceiveHandleMessage(NativeHandle channel) {
  HandleFrameHeader header{};
  auto header_bytes = reinterpret_cast<std::byte*>(&header);
  HandleMessage result;
  // Only the header's bytes: the channel may have other readers after this message.
  absl::StatusOr<size_t> got = posix::ReceiveWithHandles(
      static_cast<int>(channel), {header_bytes, sizeof(header)}, result.handles);
  if (!got.ok()) return got.status();
  if (*got == 0) return absl::OutOfRangeError("channel closed before a message arrived");
  if (absl::Status status = ReadExact(channel, {header_bytes + *got, sizeof(header) - *got});
      !status.ok()) {
    return status;
  }
  if (absl::Status status = posix::CheckHandleFrameHeader(header, result.handles.size());
      !status.ok()) {
    return status;
  }
  if (absl::Status status = ReadAppending(channel, header.body_length, result.bytes);
      !status.ok()) {
    return status;
  }
  return result;
}

namespace posix {

absl::Status CheckHandleFrameHeader(const HandleFrameHeader& header, size_t handles_received) {
  if (header.handle_count == handles_received && header.body_length <= kMaxHandleMessageBytes) {
    return absl::OkStatus();
  }
  return absl::DataLossError(absl::StrCat("corrupt handle message header: ", header.handle_count,
                                          " handles announced, ", handles_received,
                                          " received, body ", header.body_length, " bytes"));
}

absl::StatusOr<size_t> ReceiveWithHandles(int socket, absl::Span<std::byte> buffer,
                                          std::vector<OwnedHandle>& handles) {
  iovec data{buffer.data(), buffer.size()};
  alignas(cmsghdr) char control[kHandleControlSpace];
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  ssize_t got;
  do {
    got = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  // A socket whose peer died with unread data reports a reset: to the reader it is the end.
  if (got < 0 && errno == ECONNRESET) return 0;
  if (got < 0) return absl::ErrnoToStatus(errno, "recvmsg");
  for (cmsghdr* block = CMSG_FIRSTHDR(&message); block != nullptr;
       block = CMSG_NXTHDR(&message, block)) {
    if (block->cmsg_level != SOL_SOCKET || block->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (block->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* descriptors = reinterpret_cast<const int*>(CMSG_DATA(block));
    for (size_t i = 0; i < count; ++i) handles.emplace_back(descriptors[i]);
  }
  if (message.msg_flags & MSG_CTRUNC) return absl::DataLossError("too many handles in a message");
  return static_cast<size_t>(got);
}

}  // namespace posix

}  // namespace multiproc::platform
