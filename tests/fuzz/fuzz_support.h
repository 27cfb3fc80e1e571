// Helpers shared by the fuzzers and the seed writer: feeding bytes to decoders that read from a
// pipe or a socket, and the manager objects the manager protocol's fuzzer serves.
#ifndef MULTIPROC_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define MULTIPROC_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/connection.h"
#include "core/manager_protocol.h"
#include "core/managers/referent.h"
#include "platform/pipe.h"

namespace multiproc::fuzzing {

// The most bytes a fuzzer writes into a pipe before reading it back from the same thread: less
// than any pipe or socket buffer, so the write never blocks.
inline constexpr size_t kMaxPipedInput = 32 * 1024;

inline void WriteOrAbort(platform::NativeHandle end, const uint8_t* data, size_t size) {
  if (size > 0 && !platform::WriteAll(end, {reinterpret_cast<const std::byte*>(data), size}).ok()) {
    std::abort();
  }
}

// A pipe pair whose first end can be read to find exactly `data` and then end of stream.
inline platform::PipePair PipeHolding(const uint8_t* data, size_t size, bool duplex) {
  absl::StatusOr<platform::PipePair> pipe =
      duplex ? platform::CreateDuplexPipe() : platform::CreateSimplexPipe();
  if (!pipe.ok()) std::abort();
  WriteOrAbort(pipe->second.get(), data, size);
  pipe->second.reset();
  return std::move(*pipe);
}

// A duplex pipe whose first end reads exactly `data` and then end of stream, while what that end
// writes is still accepted: the peer only stopped sending (shutdown, which the platform layer
// does not offer, so this POSIX-only harness calls it). For decoders that reply as they read,
// like the authentication handshake. Keep the pair alive while the first end writes.
inline platform::PipePair ConversationHolding(const uint8_t* data, size_t size) {
  absl::StatusOr<platform::PipePair> pipe = platform::CreateDuplexPipe();
  if (!pipe.ok()) std::abort();
  WriteOrAbort(pipe->second.get(), data, size);
  if (::shutdown(pipe->second.get(), SHUT_WR) != 0) std::abort();
  return std::move(*pipe);
}

// A Connection that receives `data` and then end of stream.
inline Connection ConnectionReceiving(const uint8_t* data, size_t size) {
  platform::PipePair pipe = PipeHolding(data, size, false);
  return Connection::FromHandle(std::move(pipe.first), /*readable=*/true, /*writable=*/false);
}

// A request as a manager client puts it in a message.
inline std::string EncodedRequest(const internal::manager::Request& request) {
  HandleTable no_handles;
  return internal::Encode(no_handles, request);
}

// The objects the manager protocol's fuzzer creates before each input: a list, a dict and a
// Namespace, which get the ids 1, 2 and 3.
inline constexpr uint64_t kFuzzedList = 1;
inline constexpr uint64_t kFuzzedDict = 2;
inline constexpr uint64_t kFuzzedNamespace = 3;
inline constexpr const char* kFuzzedListType = "list<i>";
inline constexpr const char* kFuzzedDictType = "dict<s,i>";
inline constexpr const char* kFuzzedNamespaceType = "Namespace";

inline std::vector<internal::manager::Request> FuzzedObjectCreations() {
  using internal::manager::Op;
  using internal::manager::Stored;
  std::string no_items = internal::manager::EncodeResult(std::vector<Stored>{});
  return {{.op = Op::kCreate, .type = kFuzzedListType, .args = no_items},
          {.op = Op::kCreate, .type = kFuzzedDictType},
          {.op = Op::kCreate, .type = kFuzzedNamespaceType}};
}

}  // namespace multiproc::fuzzing

#endif  // MULTIPROC_TESTS_FUZZ_FUZZ_SUPPORT_H_
