// POSIX only: HMAC-SHA256 and random bytes from OpenSSL's libcrypto.
#include "platform/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace multiproc::platform {

absl::StatusOr<Sha256Digest> HmacSha256(absl::Span<const std::byte> key,
                                        absl::Span<const std::byte> message) {
  Sha256Digest digest;
  unsigned int length = 0;
  // OpenSSL rejects a null key pointer even when the length is 0.
  static const unsigned char kEmpty = 0;
  const void* key_bytes = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  const unsigned char* message_bytes =
      message.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(message.data());
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()), message_bytes, message.size(),
           reinterpret_cast<unsigned char*>(digest.data()), &length) == nullptr ||
      length != digest.size()) {
    return absl::InternalError("HMAC-SHA256 failed in libcrypto");
  }
  return digest;
}

absl::Status FillRandom(absl::Span<std::byte> buffer) {
  if (buffer.empty()) return absl::OkStatus();
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buffer.data()),
                 static_cast<int>(buffer.size())) != 1) {
    return absl::InternalError("RAND_bytes failed: no secure random source");
  }
  return absl::OkStatus();
}

}  // namespace multiproc::platform
