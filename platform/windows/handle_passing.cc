// Windows only: sending handles to a running process by duplicating them into it.
// The copies' values in the receiver travel in the message: a 12-byte header (body length, handle
// count), the handle values (8 bytes each), then the body.
#include "platform/handle_passing.h"

#include <windows.h>

#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "platform/pipe.h"
#include "platform/windows/errors.h"
#include "platform/windows/native_handle.h"

namespace multiproc::platform {

using windows::LastErrorStatus;
using windows::ToNativeHandle;
using windows::ToWin32Handle;

namespace {

constexpr size_t kHeaderSize = sizeof(uint64_t) + sizeof(uint32_t);

void AppendRaw(std::string& out, const void* data, size_t size) {
  out.append(static_cast<const char*>(data), size);
}

template <typename T>
T ReadRaw(const std::byte* from) {
  T value;
  std::memcpy(&value, from, sizeof(value));
  return value;
}

// Copies of our handles placed in another process. Until Commit, they are closed again (in the
// receiver, from here) when this goes out of scope, so a failed send leaks nothing there.
class HandlesInReceiver {
 public:
  explicit HandlesInReceiver(HANDLE receiver) : receiver_(receiver) {}
  HandlesInReceiver(const HandlesInReceiver&) = delete;
  HandlesInReceiver& operator=(const HandlesInReceiver&) = delete;
  ~HandlesInReceiver() {
    for (HANDLE copy : copies_) {
      DuplicateHandle(receiver_, copy, nullptr, nullptr, 0, FALSE, DUPLICATE_CLOSE_SOURCE);
    }
  }

  absl::Status Copy(NativeHandle handle) {
    if (windows::IsInvalid(handle)) return absl::InvalidArgumentError("sending an invalid handle");
    HANDLE copy = nullptr;
    if (!DuplicateHandle(GetCurrentProcess(), ToWin32Handle(handle), receiver_, &copy, 0,
                         /*bInheritHandle=*/FALSE, DUPLICATE_SAME_ACCESS)) {
      return LastErrorStatus(absl::StrCat("DuplicateHandle(", handle, " into the receiver)"));
    }
    copies_.push_back(copy);
    return absl::OkStatus();
  }

  const std::vector<HANDLE>& copies() const { return copies_; }

  // The receiver got the message: the copies are its own now.
  void Commit() { copies_.clear(); }

 private:
  HANDLE receiver_;
  std::vector<HANDLE> copies_;
};

std::string FrameMessage(absl::Span<const std::byte> bytes, const std::vector<HANDLE>& copies) {
  uint64_t body_length = bytes.size();
  uint32_t handle_count = static_cast<uint32_t>(copies.size());
  std::string frame;
  frame.reserve(kHeaderSize + copies.size() * sizeof(int64_t) + bytes.size());
  AppendRaw(frame, &body_length, sizeof(body_length));
  AppendRaw(frame, &handle_count, sizeof(handle_count));
  for (HANDLE copy : copies) {
    int64_t value = ToNativeHandle(copy);
    AppendRaw(frame, &value, sizeof(value));
  }
  AppendRaw(frame, bytes.data(), bytes.size());
  return frame;
}

absl::Status SendFrame(NativeHandle channel, ProcessId receiver, absl::Span<const std::byte> bytes,
                       absl::Span<const NativeHandle> handles) {
  HANDLE receiver_process =
      OpenProcess(PROCESS_DUP_HANDLE, /*bInheritHandle=*/FALSE, static_cast<DWORD>(receiver));
  if (receiver_process == nullptr)
    return LastErrorStatus(absl::StrCat("OpenProcess(", receiver, ")"));
  absl::Status status;
  {
    HandlesInReceiver copies(receiver_process);
    for (NativeHandle handle : handles) {
      status = copies.Copy(handle);
      if (!status.ok()) break;
    }
    if (status.ok()) {
      std::string frame = FrameMessage(bytes, copies.copies());
      status = WriteAll(channel, {reinterpret_cast<const std::byte*>(frame.data()), frame.size()});
    }
    if (status.ok()) copies.Commit();
  }
  CloseHandle(receiver_process);
  return status;
}

absl::Status ReadInto(NativeHandle channel, void* buffer, size_t size) {
  return ReadExact(channel, {static_cast<std::byte*>(buffer), size});
}

}  // namespace

absl::Status SendHandleMessage(NativeHandle channel, ProcessId receiver,
                               absl::Span<const std::byte> bytes,
                               absl::Span<const NativeHandle> handles) {
  if (handles.size() > kMaxHandlesPerMessage || bytes.size() > kMaxHandleMessageBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("message too large: ", bytes.size(), " bytes, ", handles.size(), " handles"));
  }
  return SendFrame(channel, receiver, bytes, handles);
}

absl::StatusOr<HandleMessage> ReceiveHandleMessage(NativeHandle channel) {
  std::byte header[kHeaderSize];
  if (absl::Status status = ReadInto(channel, header, sizeof(header)); !status.ok()) {
    return absl::IsOutOfRange(status)
               ? absl::OutOfRangeError("channel closed before a whole message arrived")
               : status;
  }
  uint64_t body_length = ReadRaw<uint64_t>(header);
  uint32_t handle_count = ReadRaw<uint32_t>(header + sizeof(uint64_t));
  if (handle_count > kMaxHandlesPerMessage || body_length > kMaxHandleMessageBytes) {
    return absl::DataLossError(absl::StrCat("corrupt handle message header: ", handle_count,
                                            " handles, body ", body_length, " bytes"));
  }
  std::vector<int64_t> values(handle_count);
  if (absl::Status status = ReadInto(channel, values.data(), values.size() * sizeof(int64_t));
      !status.ok()) {
    return status;
  }
  HandleMessage message;
  // The sender already put these handles in our table: they are ours to close from here on.
  for (int64_t value : values) message.handles.emplace_back(static_cast<NativeHandle>(value));
  if (absl::Status status = ReadAppending(channel, body_length, message.bytes); !status.ok()) {
    return status;
  }
  return message;
}

}  // namespace multiproc::platform
