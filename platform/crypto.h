// The two cryptographic operations multiproc needs for authenticated connections (Listener/Client,
// remote managers): HMAC-SHA256 and secure random bytes. They come from the platform's crypto
// library (Nettle and the kernel on POSIX, BCrypt on Windows), never from hand-written code.
//
//   std::array<std::byte, 32> challenge;
//   RETURN_IF_ERROR(platform::FillRandom(challenge));
//   absl::StatusOr<platform::Sha256Digest> mac = platform::HmacSha256(authkey, challenge);
#ifndef MULTIPROC_PLATFORM_CRYPTO_H_
#define MULTIPROC_PLATFORM_CRYPTO_H_

#include <array>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace multiproc::platform {

using Sha256Digest = std::array<std::byte, 32>;

absl::StatusOr<Sha256Digest> HmacSha256(absl::Span<const std::byte> key,
                                        absl::Span<const std::byte> message);

// Fills `buffer` from the operating system's cryptographically secure generator.
absl::Status FillRandom(absl::Span<std::byte> buffer);

// Compares two byte strings in time that depends only on their lengths (for MAC checks).
bool ConstantTimeEquals(absl::Span<const std::byte> a, absl::Span<const std::byte> b);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_CRYPTO_H_
