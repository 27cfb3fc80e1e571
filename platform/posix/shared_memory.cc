// POSIX only (Linux): unnamed regions are memfds, named ones live in /dev/shm via shm_open.
#include "platform/shared_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"

namespace multiproc::platform {

namespace {

std::string ShmPath(absl::string_view name) { return absl::StrCat("/", name); }

absl::Status Resize(int descriptor, size_t size) {
  if (::ftruncate(descriptor, static_cast<off_t>(size)) < 0) {
    return absl::ErrnoToStatus(errno, "ftruncate");
  }
  return absl::OkStatus();
}

absl::Status RequirePositive(size_t size) {
  if (size == 0) return absl::InvalidArgumentError("shared memory size must be positive");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SharedMemory> SharedMemory::CreateUnnamed(size_t size) {
  if (absl::Status status = RequirePositive(size); !status.ok()) return status;
  OwnedHandle handle(::memfd_create("multiproc", MFD_CLOEXEC));
  if (!handle.valid()) return absl::ErrnoToStatus(errno, "memfd_create");
  if (absl::Status status = Resize(static_cast<int>(handle.get()), size); !status.ok()) {
    return status;
  }
  return Map(std::move(handle), size);
}

absl::StatusOr<SharedMemory> SharedMemory::CreateNamed(absl::string_view name, size_t size) {
  if (absl::Status status = ValidateSharedMemoryName(name); !status.ok()) return status;
  if (absl::Status status = RequirePositive(size); !status.ok()) return status;
  std::string path = ShmPath(name);
  OwnedHandle handle(::shm_open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!handle.valid() && errno == EEXIST) {
    return absl::AlreadyExistsError(absl::StrCat("shared memory '", name, "' already exists"));
  }
  if (!handle.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("shm_open ", path));
  absl::StatusOr<SharedMemory> region = absl::InternalError("unset");
  if (absl::Status status = Resize(static_cast<int>(handle.get()), size); !status.ok()) {
    region = status;
  } else {
    region = Map(std::move(handle), size);
  }
  if (!region.ok()) ::shm_unlink(path.c_str());  // never leave a half-made name behind
  return region;
}

absl::StatusOr<SharedMemory> SharedMemory::OpenNamed(absl::string_view name) {
  if (absl::Status status = ValidateSharedMemoryName(name); !status.ok()) return status;
  std::string path = ShmPath(name);
  OwnedHandle handle(::shm_open(path.c_str(), O_RDWR | O_CLOEXEC, 0));
  if (!handle.valid() && errno == ENOENT) {
    return absl::NotFoundError(absl::StrCat("no shared memory named '", name, "'"));
  }
  if (!handle.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("shm_open ", path));
  struct stat info {};
  if (::fstat(static_cast<int>(handle.get()), &info) < 0) {
    return absl::ErrnoToStatus(errno, "fstat");
  }
  if (absl::Status status = RequirePositive(static_cast<size_t>(info.st_size)); !status.ok()) {
    return status;
  }
  return Map(std::move(handle), static_cast<size_t>(info.st_size));
}

absl::Status SharedMemory::UnlinkNamed(absl::string_view name) {
  if (absl::Status status = ValidateSharedMemoryName(name); !status.ok()) return status;
  if (::shm_unlink(ShmPath(name).c_str()) < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no shared memory '", name, "'"));
    return absl::ErrnoToStatus(errno, "shm_unlink");
  }
  return absl::OkStatus();
}

absl::StatusOr<SharedMemory> SharedMemory::Map(OwnedHandle handle, size_t size) {
  void* data =
      ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, static_cast<int>(handle.get()), 0);
  if (data == MAP_FAILED) return absl::ErrnoToStatus(errno, "mmap");
  return SharedMemory(std::move(handle), data, size);
}

void SharedMemory::Unmap() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
}

}  // namespace multiproc::platform
