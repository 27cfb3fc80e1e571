// Helpers shared by the fuzzers: feeding bytes to decoders that read from a pipe or a socket.
#ifndef MULTIPROC_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define MULTIPROC_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "platform/pipe.h"

namespace multiproc::fuzzing {

// The most bytes a fuzzer writes into a pipe before reading it back from the same thread: less
// than any pipe or socket buffer, so the write never blocks.
inline constexpr size_t kMaxPipedInput = 32 * 1024;

// A pipe pair whose first end can be read to find exactly `data` and then end of stream.
inline platform::PipePair PipeHolding(const uint8_t* data, size_t size, bool duplex) {
  absl::StatusOr<platform::PipePair> pipe =
      duplex ? platform::CreateDuplexPipe() : platform::CreateSimplexPipe();
  if (!pipe.ok()) std::abort();
  if (size > 0 &&
      !platform::WriteAll(pipe->second.get(), {reinterpret_cast<const std::byte*>(data), size})
           .ok()) {
    std::abort();
  }
  pipe->second.reset();
  return std::move(*pipe);
}

}  // namespace multiproc::fuzzing

#endif  // MULTIPROC_TESTS_FUZZ_FUZZ_SUPPORT_H_
