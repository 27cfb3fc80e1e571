// The mutual HMAC-SHA256 challenge-response that authenticates a Connection before anything else
// is read from it, as CPython 3.12's deliver_challenge/answer_challenge (same messages, so a
// multiproc Listener can also talk to a CPython Client): each side sends a random challenge and
// checks that the peer answers with HMAC-SHA256(authkey, challenge). Listener::accept() delivers
// first, then answers; Client() does the opposite.
//
//   internal::DeliverChallenge(connection, authkey);  // AuthenticationError if the peer's is wrong
//   internal::AnswerChallenge(connection, authkey);   // AuthenticationError if ours was rejected
//
// Handshake messages are at most 256 bytes; a longer one is an AuthenticationError and nothing
// more is read. The connection does not read ahead during the handshake, so not one byte past it
// is taken from the peer before it is trusted. The authkey never appears in an error message.
#ifndef MULTIPROC_CORE_AUTHENTICATION_H_
#define MULTIPROC_CORE_AUTHENTICATION_H_

#include <optional>
#include <string_view>

#include "absl/time/time.h"
#include "core/connection.h"
#include "core/timeout.h"

namespace multiproc::internal {

// With a `timeout`, each handshake message the peer owes must arrive within it, or the
// handshake fails with AuthenticationError: a peer that connects and says nothing is dropped.
void DeliverChallenge(Connection& connection, std::string_view authkey,
                      Timeout timeout = std::nullopt);
void AnswerChallenge(Connection& connection, std::string_view authkey,
                     Timeout timeout = std::nullopt);

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_AUTHENTICATION_H_
