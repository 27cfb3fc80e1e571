#include "core/authentication.h"

#include <array>
#include <cstddef>
#include <string>

#include "core/status_errors.h"
#include "platform/crypto.h"

namespace multiproc::internal {

namespace {

constexpr std::string_view kChallenge = "#CHALLENGE#";
constexpr std::string_view kWelcome = "#WELCOME#";
constexpr std::string_view kFailure = "#FAILURE#";
constexpr std::string_view kDigestName = "{sha256}";
constexpr size_t kRandomLength = 40;       // CPython's _MESSAGE_LENGTH
constexpr size_t kShortestChallenge = 20;  // CPython's _MD5ONLY_MESSAGE_LENGTH
constexpr size_t kLongestHandshakeMessage = 256;

absl::Span<const std::byte> Bytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

// "{sha256}" + HMAC-SHA256(authkey, message): CPython's _create_response.
std::string Response(std::string_view authkey, std::string_view message) {
  platform::Sha256Digest digest =
      ValueOrThrow(platform::HmacSha256(Bytes(authkey), Bytes(message)), "authentication");
  return std::string(kDigestName)
      .append(reinterpret_cast<const char*>(digest.data()), digest.size());
}

std::string ReceiveHandshakeMessage(Connection& connection, Timeout timeout) {
  if (timeout.has_value() && !connection.poll(*timeout)) {
    throw AuthenticationError("authentication: the peer sent nothing within the time limit");
  }
  try {
    return connection.recv_bytes(kLongestHandshakeMessage);
  } catch (const OSError&) {
    // Longer than any handshake message: not a multiproc peer, or a hostile one.
    throw AuthenticationError("authentication: the peer sent an oversized handshake message");
  }
}

// While it lives, `connection` reads exactly what each message needs and nothing ahead of it.
class NoReadAhead {
 public:
  explicit NoReadAhead(Connection& connection) : connection_(connection) {
    SetReadAhead(connection_, false);
  }
  ~NoReadAhead() { SetReadAhead(connection_, true); }

 private:
  Connection& connection_;
};

}  // namespace

void DeliverChallenge(Connection& connection, std::string_view authkey, Timeout timeout) {
  NoReadAhead exact_reads(connection);
  std::array<std::byte, kRandomLength> random{};
  ThrowIfError(platform::FillRandom(absl::MakeSpan(random)), "authentication");
  std::string message =
      std::string(kDigestName).append(reinterpret_cast<const char*>(random.data()), random.size());
  connection.send_bytes(std::string(kChallenge) + message);
  std::string response = ReceiveHandshakeMessage(connection, timeout);
  if (!platform::ConstantTimeEquals(Bytes(response), Bytes(Response(authkey, message)))) {
    try {
      connection.send_bytes(kFailure);
    } catch (const Error&) {
      // The peer may be gone already; it is refused either way.
    }
    throw AuthenticationError("authentication: digest received was wrong");
  }
  connection.send_bytes(kWelcome);
}

void AnswerChallenge(Connection& connection, std::string_view authkey, Timeout timeout) {
  NoReadAhead exact_reads(connection);
  std::string message = ReceiveHandshakeMessage(connection, timeout);
  if (!message.starts_with(kChallenge)) {
    throw AuthenticationError("authentication: protocol error, expected a challenge");
  }
  message.erase(0, kChallenge.size());
  if (!message.starts_with(kDigestName) ||
      message.size() < kDigestName.size() + kShortestChallenge) {
    throw AuthenticationError(
        "authentication: the challenge is too short or not HMAC-SHA256 (the only digest "
        "multiproc accepts)");
  }
  connection.send_bytes(Response(authkey, message));
  if (ReceiveHandshakeMessage(connection, timeout) != kWelcome) {
    throw AuthenticationError("authentication: digest sent was rejected");
  }
}

}  // namespace multiproc::internal
