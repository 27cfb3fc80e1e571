// The platform-neutral part of crypto.h; HMAC and random bytes live in posix/ and windows/.
#include "platform/crypto.h"

namespace multiproc::platform {

bool ConstantTimeEquals(absl::Span<const std::byte> a, absl::Span<const std::byte> b) {
  if (a.size() != b.size()) return false;
  // Accumulate every difference instead of returning at the first one: the time taken must not
  // tell an attacker how long a prefix of a forged MAC was right.
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

}  // namespace multiproc::platform
