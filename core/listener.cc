#include "core/listener.h"

#include <utility>

#include "core/authentication.h"
#include "core/status_errors.h"

namespace multiproc {

namespace {

Connection Adopt(platform::OwnedHandle handle) {
  return Connection::FromHandle(std::move(handle), /*readable=*/true, /*writable=*/true);
}

}  // namespace

platform::StreamListener Listener::Listen(std::string address, std::optional<AddressFamily> family,
                                          int backlog) {
  AddressFamily chosen = family.value_or(platform::DefaultAddressFamily());
  if (!address.empty()) {
    chosen = platform::AddressFamilyOf(address);
    if (family && *family != chosen) {
      throw ValueError("Listener: the address does not belong to the requested family");
    }
  }
  return internal::ValueOrThrow(
      platform::StreamListener::Listen(chosen, std::move(address), backlog), "Listener");
}

Listener::Listener(std::string address, std::optional<std::string> authkey,
                   std::optional<AddressFamily> family, int backlog)
    : listener_(Listen(std::move(address), family, backlog)), authkey_(std::move(authkey)) {}

Connection Listener::accept() {
  Connection connection = accept_unauthenticated();
  authenticate(connection);
  return connection;
}

Connection Listener::accept_unauthenticated() {
  absl::StatusOr<platform::OwnedHandle> accepted = listener_.Accept();
  if (absl::IsFailedPrecondition(accepted.status())) throw OSError("Listener: it is closed");
  return Adopt(internal::ValueOrThrow(std::move(accepted), "Listener accept"));
}

void Listener::authenticate(Connection& connection, Timeout timeout) const {
  if (!authkey_) return;
  internal::DeliverChallenge(connection, *authkey_, timeout);
  internal::AnswerChallenge(connection, *authkey_, timeout);
}

Connection Client(const std::string& address, std::optional<std::string> authkey,
                  Timeout handshake_timeout) {
  Connection connection = Adopt(internal::ValueOrThrow(
      platform::ConnectTo(platform::AddressFamilyOf(address), address), "Client"));
  if (authkey) {
    internal::AnswerChallenge(connection, *authkey, handshake_timeout);
    internal::DeliverChallenge(connection, *authkey, handshake_timeout);
  }
  return connection;
}

}  // namespace multiproc
