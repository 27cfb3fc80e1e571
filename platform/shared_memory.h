// Shared memory regions that several processes map at once: unnamed ones, which reach other
// processes only as a handle (Linux memfd_create, Windows an unnamed file mapping), and named ones,
// which any process that knows the name can open (POSIX shm_open, Windows a named file mapping).
//
//   absl::StatusOr<platform::SharedMemory> region = platform::SharedMemory::CreateUnnamed(4096);
//   std::memcpy(region->data(), "hi", 2);
//   // pass region->handle() to a child, which calls SharedMemory::FromHandle(handle, 4096)
#ifndef MULTIPROC_PLATFORM_SHARED_MEMORY_H_
#define MULTIPROC_PLATFORM_SHARED_MEMORY_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "platform/handle.h"

namespace multiproc::platform {

// A mapped region plus the handle that keeps it alive. Unmaps and closes on destruction; the
// memory itself lives on while any process maps it or holds a handle to it (and, for a named
// region on POSIX, until UnlinkNamed).
class SharedMemory {
 public:
  // Zero-filled memory with no name. Freed when its last holder goes, even after kill -9.
  static absl::StatusOr<SharedMemory> CreateUnnamed(size_t size);

  // Creates the named region `name`; AlreadyExists if it exists. Names are 1-200 characters of
  // [A-Za-z0-9_.-] (InvalidArgument otherwise), the same rules on both platforms.
  static absl::StatusOr<SharedMemory> CreateNamed(absl::string_view name, size_t size);

  // Opens an existing named region; NotFound if there is none. Its size is the region's size.
  static absl::StatusOr<SharedMemory> OpenNamed(absl::string_view name);

  // Removes `name` so no new process can open it; mappings that exist stay valid. On Windows, where
  // a name lives exactly as long as its last handle, this only validates the name.
  static absl::Status UnlinkNamed(absl::string_view name);

  // Maps a region whose handle this process received from another one.
  static absl::StatusOr<SharedMemory> FromHandle(OwnedHandle handle, size_t size);

  SharedMemory() = default;  // an empty region, to be assigned (e.g. by deserialization)
  SharedMemory(SharedMemory&& other) noexcept;
  SharedMemory& operator=(SharedMemory&& other) noexcept;
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  ~SharedMemory();

  void* data() const { return data_; }
  size_t size() const { return size_; }
  NativeHandle handle() const { return handle_.get(); }

 private:
  SharedMemory(OwnedHandle handle, void* data, size_t size)
      : handle_(std::move(handle)), data_(data), size_(size) {}
  static absl::StatusOr<SharedMemory> Map(OwnedHandle handle, size_t size);
  void Unmap();

  OwnedHandle handle_;
  void* data_ = nullptr;
  size_t size_ = 0;
};

// Checks a region name against the portable rules above.
absl::Status ValidateSharedMemoryName(absl::string_view name);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_SHARED_MEMORY_H_
