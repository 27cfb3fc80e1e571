// Byte pipes between processes: duplex (both ends read and write; POSIX socketpair, Windows an
// overlapped duplex named pipe) and simplex (one reading end, one writing end). Reads and writes
// block; WaitReadable polls with a timeout. Message framing is the caller's business.
//
//   absl::StatusOr<platform::PipePair> pipe = platform::CreateDuplexPipe();
//   RETURN_IF_ERROR(platform::WriteAll(pipe->first.get(), bytes));
//   absl::StatusOr<bool> ready = platform::WaitReadable(pipe->second.get(), absl::Seconds(1));
#ifndef MULTIPROC_PLATFORM_PIPE_H_
#define MULTIPROC_PLATFORM_PIPE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "platform/handle.h"

namespace multiproc::platform {

// For a simplex pipe `first` is the reading end and `second` the writing end.
struct PipePair {
  OwnedHandle first;
  OwnedHandle second;
};

absl::StatusOr<PipePair> CreateDuplexPipe();
absl::StatusOr<PipePair> CreateSimplexPipe();

// Writes every byte of `bytes`, blocking as needed. Unavailable if the peer has closed its end.
absl::Status WriteAll(NativeHandle pipe_end, absl::Span<const std::byte> bytes);

// Writes `head` and then `body`, as WriteAll would write their concatenation, in one system
// call when the platform can (POSIX writev/sendmsg): a frame header and its payload go out
// together without copying the payload.
absl::Status WriteAllGathered(NativeHandle pipe_end, absl::Span<const std::byte> head,
                              absl::Span<const std::byte> body);

// Reads at least one byte into `buffer` (blocking until some arrive) and returns how many.
// Returns 0 at end of stream: the peer closed its end or died.
absl::StatusOr<size_t> ReadSome(NativeHandle pipe_end, absl::Span<std::byte> buffer);

// Fills `buffer` completely. OutOfRange if the stream ends first (nothing read, or part of it).
absl::Status ReadExact(NativeHandle pipe_end, absl::Span<std::byte> buffer);

// True once a read would not block: data is waiting or the stream has ended. False when `timeout`
// (absl::InfiniteDuration() to block, absl::ZeroDuration() to poll) expires first.
absl::StatusOr<bool> WaitReadable(NativeHandle pipe_end, absl::Duration timeout);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_PIPE_H_
