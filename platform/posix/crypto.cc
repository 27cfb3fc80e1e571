// POSIX only: HMAC-SHA256 from Nettle, random bytes from the kernel (getentropy).
//
// Nettle rather than OpenSSL's libcrypto: a static libcrypto brought ~340 KB of pointer tables
// that the loader relocates in every freshly started program, about a hundred page faults per
// spawned child whether or not it ever authenticates; its shared library costs more. Nettle's
// HMAC needs none of that.
#include "platform/crypto.h"

#include <nettle/hmac.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace multiproc::platform {
namespace {

// getentropy fills at most this many bytes per call.
constexpr size_t kMaxEntropyPerCall = 256;

// Nettle copies the key with memcpy, whose pointer must not be null even for an empty key.
const uint8_t* NonNullBytes(absl::Span<const std::byte> bytes) {
  static const uint8_t kEmpty = 0;
  return bytes.empty() ? &kEmpty : reinterpret_cast<const uint8_t*>(bytes.data());
}

}  // namespace

absl::StatusOr<Sha256Digest> HmacSha256(absl::Span<const std::byte> key,
                                        absl::Span<const std::byte> message) {
  hmac_sha256_ctx context;
  hmac_sha256_set_key(&context, key.size(), NonNullBytes(key));
  hmac_sha256_update(&context, message.size(), NonNullBytes(message));
  Sha256Digest digest;
  hmac_sha256_digest(&context, digest.size(), reinterpret_cast<uint8_t*>(digest.data()));
  return digest;
}

absl::Status FillRandom(absl::Span<std::byte> buffer) {
  while (!buffer.empty()) {
    size_t chunk = std::min(buffer.size(), kMaxEntropyPerCall);
    if (getentropy(buffer.data(), chunk) != 0) {
      return absl::ErrnoToStatus(errno, "getentropy: no secure random source");
    }
    buffer.remove_prefix(chunk);
  }
  return absl::OkStatus();
}

}  // namespace multiproc::platform
