// Windows only: HMAC-SHA256 and secure random bytes from BCrypt (CNG).
#include <windows.h>
// windows.h first: bcrypt.h relies on its types.
#include <bcrypt.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "platform/crypto.h"

namespace multiproc::platform {

namespace {

// BCrypt reports NTSTATUS values, not Win32 errors; the hex form is what documentation lists.
absl::Status BcryptError(const char* failed_call, NTSTATUS status) {
  return absl::InternalError(absl::StrCat(failed_call, " failed with NTSTATUS 0x",
                                          absl::Hex(static_cast<uint32_t>(status))));
}

bool Succeeded(NTSTATUS status) { return status >= 0; }

// BCrypt takes ULONG lengths; the caller's spans could in principle be longer.
ULONG ChunkLength(size_t remaining) {
  return static_cast<ULONG>(std::min<size_t>(remaining, ULONG_MAX));
}

PUCHAR AsUchars(const std::byte* bytes) {
  return reinterpret_cast<PUCHAR>(const_cast<std::byte*>(bytes));
}

// Owns an open algorithm provider.
class HmacAlgorithm {
 public:
  ~HmacAlgorithm() {
    if (handle_ != nullptr) BCryptCloseAlgorithmProvider(handle_, 0);
  }
  BCRYPT_ALG_HANDLE* out() { return &handle_; }
  BCRYPT_ALG_HANDLE get() const { return handle_; }

 private:
  BCRYPT_ALG_HANDLE handle_ = nullptr;
};

// Owns a hash object (its working memory belongs to the caller).
class HashObject {
 public:
  ~HashObject() {
    if (handle_ != nullptr) BCryptDestroyHash(handle_);
  }
  BCRYPT_HASH_HANDLE* out() { return &handle_; }
  BCRYPT_HASH_HANDLE get() const { return handle_; }

 private:
  BCRYPT_HASH_HANDLE handle_ = nullptr;
};

// The size of the working memory BCryptCreateHash needs for one hash of `algorithm` (Windows 7
// cannot allocate it itself, so we always supply it).
absl::StatusOr<ULONG> HashObjectLength(BCRYPT_ALG_HANDLE algorithm) {
  ULONG length = 0, written = 0;
  NTSTATUS status =
      BCryptGetProperty(algorithm, BCRYPT_OBJECT_LENGTH, reinterpret_cast<PUCHAR>(&length),
                        sizeof(length), &written, 0);
  if (!Succeeded(status)) return BcryptError("BCryptGetProperty(BCRYPT_OBJECT_LENGTH)", status);
  return length;
}

absl::Status HashAll(BCRYPT_HASH_HANDLE hash, absl::Span<const std::byte> message) {
  while (!message.empty()) {
    ULONG length = ChunkLength(message.size());
    NTSTATUS status = BCryptHashData(hash, AsUchars(message.data()), length, 0);
    if (!Succeeded(status)) return BcryptError("BCryptHashData", status);
    message.remove_prefix(length);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Sha256Digest> HmacSha256(absl::Span<const std::byte> key,
                                        absl::Span<const std::byte> message) {
  if (key.size() > ULONG_MAX) return absl::InvalidArgumentError("HMAC key too long");
  HmacAlgorithm algorithm;
  NTSTATUS status = BCryptOpenAlgorithmProvider(algorithm.out(), BCRYPT_SHA256_ALGORITHM, nullptr,
                                                BCRYPT_ALG_HANDLE_HMAC_FLAG);
  if (!Succeeded(status)) return BcryptError("BCryptOpenAlgorithmProvider(SHA256, HMAC)", status);
  absl::StatusOr<ULONG> object_length = HashObjectLength(algorithm.get());
  if (!object_length.ok()) return object_length.status();
  std::vector<UCHAR> hash_memory(*object_length);
  HashObject hash;
  status = BCryptCreateHash(algorithm.get(), hash.out(), hash_memory.data(), *object_length,
                            AsUchars(key.data()), static_cast<ULONG>(key.size()), 0);
  if (!Succeeded(status)) return BcryptError("BCryptCreateHash", status);
  if (absl::Status hashed = HashAll(hash.get(), message); !hashed.ok()) return hashed;
  Sha256Digest digest;
  status = BCryptFinishHash(hash.get(), AsUchars(digest.data()), digest.size(), 0);
  if (!Succeeded(status)) return BcryptError("BCryptFinishHash", status);
  return digest;
}

absl::Status FillRandom(absl::Span<std::byte> buffer) {
  while (!buffer.empty()) {
    ULONG length = ChunkLength(buffer.size());
    NTSTATUS status =
        BCryptGenRandom(nullptr, AsUchars(buffer.data()), length, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
    if (!Succeeded(status)) return BcryptError("BCryptGenRandom", status);
    buffer.remove_prefix(length);
  }
  return absl::OkStatus();
}

}  // namespace multiproc::platform
