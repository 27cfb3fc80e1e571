// The platform-neutral part of listener.h: address parsing and moves.
#include "platform/listener.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace multiproc::platform {

AddressFamily AddressFamilyOf(absl::string_view address) {
  if (absl::StartsWith(address, "\\\\")) return AddressFamily::kNamedPipe;
  bool has_separator = absl::StrContains(address, '/') || absl::StrContains(address, '\\');
  if (!has_separator && absl::StrContains(address, ':')) return AddressFamily::kTcp;
  return AddressFamily::kUnix;
}

absl::StatusOr<HostPort> ParseHostPort(absl::string_view address) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a \"host:port\" address: \"", address, "\""));
  }
  return HostPort{std::string(address.substr(0, colon)), port};
}

StreamListener::StreamListener(StreamListener&& other) noexcept
    : family_(other.family_),
      address_(std::move(other.address_)),
      handle_(std::move(other.handle_)),
      private_directory_(std::exchange(other.private_directory_, std::string())) {}

StreamListener& StreamListener::operator=(StreamListener&& other) noexcept {
  if (this != &other) {
    Close();
    family_ = other.family_;
    address_ = std::move(other.address_);
    handle_ = std::move(other.handle_);
    private_directory_ = std::exchange(other.private_directory_, std::string());
  }
  return *this;
}

}  // namespace multiproc::platform
