// POSIX only: HMAC-SHA256 from Nettle, random bytes from getentropy.
//
// Nettle rather than OpenSSL's libcrypto: a static libcrypto brought ~340 KB of pointer tables
// that the loader relocates at every start of a program, about a hundred page faults in each
// spawned child; its shared library costs more. Nettle's static archive relocates almost nothing
// at load (it still probes the CPU once, to pick its SHA-256 code).
#include "platform/crypto.h"

#include <nettle/hmac.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace multiproc::platform {
namespace {

// getentropy fails (EIO) when asked for more than this at once.
constexpr size_t kMaxEntropyPerCall = 256;

// Nettle hands the message to memcpy, which must not get a null pointer even for length 0; an
// empty span's data() may be null.
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
  explicit_bzero(&context, sizeof(context));  // the context holds key-derived state
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
