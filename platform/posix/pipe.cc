// POSIX only: duplex pipes are Unix-domain socketpairs, simplex pipes are pipe(2).
#include "platform/pipe.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "platform/wait.h"

namespace multiproc::platform {

namespace {

int Descriptor(NativeHandle handle) { return static_cast<int>(handle); }

// Writing to a pipe whose reader is gone raises SIGPIPE, which kills a process that did not ask
// for it. For the length of one write this thread blocks SIGPIPE and then discards the signal it
// caused, leaving the process's signal dispositions alone (a library must not change them).
class ScopedSigpipeSuppression {
 public:
  ScopedSigpipeSuppression() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_mask_);
  }
  ~ScopedSigpipeSuppression() {
    if (caused_sigpipe_ && !was_pending_) {
      timespec no_wait{0, 0};
      while (sigtimedwait(&sigpipe_, nullptr, &no_wait) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  }
  void NoteBrokenPipe() { caused_sigpipe_ = true; }

 private:
  sigset_t sigpipe_;
  sigset_t previous_mask_;
  bool was_pending_ = false;
  bool caused_sigpipe_ = false;
};

ssize_t WriteToPipe(int descriptor, const iovec* parts, int count) {
  ScopedSigpipeSuppression suppression;
  ssize_t written = ::writev(descriptor, parts, count);
  if (written < 0 && errno == EPIPE) suppression.NoteBrokenPipe();
  return written;
}

// Sockets take MSG_NOSIGNAL; other descriptors (pipe(2)) need the signal suppressed.
ssize_t WriteSome(int descriptor, iovec* parts, int count) {
  msghdr message{};
  message.msg_iov = parts;
  message.msg_iovlen = static_cast<size_t>(count);
  ssize_t written = ::sendmsg(descriptor, &message, MSG_NOSIGNAL);
  if (written < 0 && errno == ENOTSOCK) return WriteToPipe(descriptor, parts, count);
  return written;
}

// Moves past `written` bytes: `first` becomes the first part with bytes left (count if none).
void Advance(iovec* parts, int& first, int count, size_t written) {
  while (first < count && written >= parts[first].iov_len) {
    written -= parts[first].iov_len;
    ++first;
  }
  if (first < count) {
    parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + written;
    parts[first].iov_len -= written;
  }
}

PipePair AdoptPair(int first, int second) { return {OwnedHandle(first), OwnedHandle(second)}; }

}  // namespace

absl::StatusOr<PipePair> CreateDuplexPipe() {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) < 0) {
    return absl::ErrnoToStatus(errno, "socketpair");
  }
  return AdoptPair(ends[0], ends[1]);
}

absl::StatusOr<PipePair> CreateSimplexPipe() {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) < 0) return absl::ErrnoToStatus(errno, "pipe2");
  return AdoptPair(ends[0], ends[1]);
}

absl::Status WriteAllGathered(NativeHandle pipe_end, absl::Span<const std::byte> head,
                              absl::Span<const std::byte> body) {
  iovec parts[2] = {{const_cast<std::byte*>(head.data()), head.size()},
                    {const_cast<std::byte*>(body.data()), body.size()}};
  int first = 0;
  Advance(parts, first, 2, 0);  // skips empty parts
  while (first < 2) {
    ssize_t written = WriteSome(Descriptor(pipe_end), parts + first, 2 - first);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      return absl::UnavailableError("write: the peer closed its end of the pipe");
    }
    if (written < 0) return absl::ErrnoToStatus(errno, "write");
    Advance(parts, first, 2, static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

absl::Status WriteAll(NativeHandle pipe_end, absl::Span<const std::byte> bytes) {
  return WriteAllGathered(pipe_end, bytes, {});
}

absl::StatusOr<size_t> ReadSome(NativeHandle pipe_end, absl::Span<std::byte> buffer) {
  for (;;) {
    ssize_t got = ::read(Descriptor(pipe_end), buffer.data(), buffer.size());
    if (got >= 0) return static_cast<size_t>(got);
    if (errno == EINTR) continue;
    // A socket whose peer died with unread data reports a reset: to the reader it is the end.
    if (errno == ECONNRESET) return 0;
    return absl::ErrnoToStatus(errno, "read");
  }
}

absl::StatusOr<bool> WaitReadable(NativeHandle pipe_end, absl::Duration timeout) {
  absl::StatusOr<std::vector<size_t>> ready = WaitForAny({pipe_end}, timeout);
  if (!ready.ok()) return ready.status();
  return !ready->empty();
}

}  // namespace multiproc::platform
