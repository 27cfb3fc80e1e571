// The platform-neutral part of SharedMemory: name rules and ownership moves.
#include "platform/shared_memory.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace multiproc::platform {

namespace {
constexpr size_t kMaxNameLength = 200;

bool IsPortableNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}
}  // namespace

absl::Status ValidateSharedMemoryName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(absl::StrCat("shared memory name must be 1-", kMaxNameLength,
                                                   " characters, got ", name.size()));
  }
  for (char c : name) {
    if (!IsPortableNameCharacter(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("shared memory name '", name, "' may only hold [A-Za-z0-9_.-]"));
    }
  }
  return absl::OkStatus();
}

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : handle_(std::move(other.handle_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
  if (this != &other) {
    Unmap();
    handle_ = std::move(other.handle_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SharedMemory::~SharedMemory() { Unmap(); }

absl::StatusOr<SharedMemory> SharedMemory::FromHandle(OwnedHandle handle, size_t size) {
  if (size == 0) return absl::InvalidArgumentError("shared memory size must be positive");
  return Map(std::move(handle), size);
}

}  // namespace multiproc::platform
