// Connection framing as every receiver reads it (recv_bytes, recv_bytes with a maxlength,
// recv<T>, recv_bytes_into, poll), under a small max_message_size: each message is delivered or
// raises EOFError, OSError, SerializationError or BufferTooShort, never a crash, a hang or an
// allocation the bytes cannot justify (any other exception escapes and fails the run).
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/connection.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using multiproc::Connection;

// Limits below, at and above the sizes a 32 KiB input can announce.
constexpr std::array<size_t, 4> kMaxMessageSizes = {0, 16, 4096, size_t{1} << 20};
constexpr size_t kMaxLength = 8;
constexpr size_t kReceiveBufferSize = 64;

// Receives one message the way `operation` names; each way consumes a whole message or throws.
void ReceiveOne(Connection& connection, unsigned operation) {
  if (!connection.poll()) std::abort();  // the bytes, or their end, are all there already
  switch (operation % 5) {
    case 0:
      (void)connection.recv_bytes();
      break;
    case 1:
      (void)connection.recv_bytes(kMaxLength);
      break;
    case 2:
      (void)connection.recv<std::string>();
      break;
    case 3:
      (void)connection.recv<std::map<std::string, std::vector<int64_t>>>();
      break;
    default: {
      std::array<std::byte, kReceiveBufferSize> buffer{};
      (void)connection.recv_bytes_into(buffer, operation % kReceiveBufferSize);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > multiproc::fuzzing::kMaxPipedInput) return -1;
  // The first byte picks the limit and the sequence of receive operations; the rest is the
  // stream the peer sent.
  const uint8_t choice = data[0];
  Connection connection = multiproc::fuzzing::ConnectionReceiving(data + 1, size - 1);
  connection.set_max_message_size(kMaxMessageSizes[choice % kMaxMessageSizes.size()]);
  for (unsigned message = 0;; ++message) {
    try {
      ReceiveOne(connection, choice / kMaxMessageSizes.size() + message);
    } catch (const multiproc::EOFError&) {
      return 0;  // the stream ended, maybe inside a message
    } catch (const multiproc::OSError&) {
      return 0;  // a length over a limit: the connection closed itself
    } catch (const multiproc::SerializationError&) {
      // not the type asked for; the message was consumed
    } catch (const multiproc::BufferTooShort&) {
      // consumed, and kept in the exception
    }
  }
}
