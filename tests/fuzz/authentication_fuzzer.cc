// The authentication handshake with arbitrary bytes as the peer's messages, in the listener's
// role (DeliverChallenge, then AnswerChallenge, as Listener::accept) and the client's
// (AnswerChallenge, then DeliverChallenge, as Client): success, AuthenticationError or EOFError,
// never a crash, a hang or an oversized read (any other exception escapes and fails the run).
#include <cstdint>
#include <string_view>

#include "core/authentication.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

constexpr std::string_view kAuthkey = "fuzzing-authkey";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > multiproc::fuzzing::kMaxPipedInput) return -1;
  // The first byte picks the role; the rest is what the peer sent.
  const bool as_listener = data[0] % 2 == 0;
  multiproc::platform::PipePair pipe = multiproc::fuzzing::ConversationHolding(data + 1, size - 1);
  multiproc::Connection connection = multiproc::Connection::FromHandle(
      std::move(pipe.first), /*readable=*/true, /*writable=*/true);
  try {
    if (as_listener) {
      multiproc::internal::DeliverChallenge(connection, kAuthkey);
      multiproc::internal::AnswerChallenge(connection, kAuthkey);
    } else {
      multiproc::internal::AnswerChallenge(connection, kAuthkey);
      multiproc::internal::DeliverChallenge(connection, kAuthkey);
    }
  } catch (const multiproc::AuthenticationError&) {
  } catch (const multiproc::EOFError&) {
  }
  return 0;
}
