// POSIX only: handles are file descriptors.
#include "platform/handle.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace multiproc::platform {

namespace {
int Descriptor(NativeHandle handle) { return static_cast<int>(handle); }
}  // namespace

void CloseNativeHandle(NativeHandle handle) {
  // No retry on EINTR: Linux has already released the descriptor, and a retry could close a
  // descriptor another thread just received.
  ::close(Descriptor(handle));
}

absl::StatusOr<OwnedHandle> OwnedHandle::Duplicate() const {
  int copy = ::fcntl(Descriptor(handle_), F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return absl::ErrnoToStatus(errno, "fcntl(F_DUPFD_CLOEXEC)");
  return OwnedHandle(copy);
}

absl::Status SetInheritable(NativeHandle handle, bool inheritable) {
  int flags = ::fcntl(Descriptor(handle), F_GETFD);
  if (flags < 0) return absl::ErrnoToStatus(errno, "fcntl(F_GETFD)");
  flags = inheritable ? (flags & ~FD_CLOEXEC) : (flags | FD_CLOEXEC);
  if (::fcntl(Descriptor(handle), F_SETFD, flags) < 0) {
    return absl::ErrnoToStatus(errno, "fcntl(F_SETFD)");
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> IsInheritable(NativeHandle handle) {
  int flags = ::fcntl(Descriptor(handle), F_GETFD);
  if (flags < 0) return absl::ErrnoToStatus(errno, "fcntl(F_GETFD)");
  return (flags & FD_CLOEXEC) == 0;
}

bool IsOpen(NativeHandle handle) { return ::fcntl(Descriptor(handle), F_GETFD) != -1; }

}  // namespace multiproc::platform
