// Windows only: SharedMemory as pagefile-backed file mappings, unnamed or in the Local\ namespace.
#include "platform/shared_memory.h"

#include <windows.h>

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "platform/windows/errors.h"
#include "platform/windows/native_handle.h"
#include "platform/windows/wide_strings.h"

namespace multiproc::platform {

using windows::LastErrorStatus;
using windows::ToNativeHandle;
using windows::ToWin32Handle;

namespace {

absl::Status ZeroSizeError() {
  return absl::InvalidArgumentError("shared memory size must be positive");
}

// The kernel object name for the portable name `name` (already validated). Local\ is the session
// namespace, which needs no privilege (Global\ needs SeCreateGlobalPrivilege).
absl::StatusOr<std::wstring> MappingName(absl::string_view name) {
  return windows::Utf8ToWide(absl::StrCat("Local\\multiproc-", name));
}

// A pagefile-backed mapping of `size` bytes; `name` may be null for an unnamed one. The handle is
// not inheritable (no security attributes).
HANDLE CreatePagefileMapping(size_t size, const wchar_t* name) {
  uint64_t size64 = size;
  return CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE,
                            static_cast<DWORD>(size64 >> 32), static_cast<DWORD>(size64), name);
}

// Maps the first `size` bytes of the mapping, or all of it when `size` is 0.
absl::StatusOr<void*> MapView(NativeHandle mapping, size_t size) {
  void* data = MapViewOfFile(ToWin32Handle(mapping), FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, size);
  if (data == nullptr) return LastErrorStatus("MapViewOfFile");
  return data;
}

// Windows does not record a mapping's size anywhere a name can reach; the view's region size is
// the mapping size rounded up to whole pages.
absl::StatusOr<size_t> ViewSize(void* data) {
  MEMORY_BASIC_INFORMATION info;
  if (VirtualQuery(data, &info, sizeof(info)) == 0) return LastErrorStatus("VirtualQuery");
  return info.RegionSize;
}

}  // namespace

absl::StatusOr<SharedMemory> SharedMemory::Map(OwnedHandle handle, size_t size) {
  absl::StatusOr<void*> data = MapView(handle.get(), size);
  if (!data.ok()) return data.status();
  return SharedMemory(std::move(handle), *data, size);
}

void SharedMemory::Unmap() {
  if (data_ != nullptr) UnmapViewOfFile(data_);
  data_ = nullptr;
  size_ = 0;
}

absl::StatusOr<SharedMemory> SharedMemory::CreateUnnamed(size_t size) {
  if (size == 0) return ZeroSizeError();
  HANDLE mapping = CreatePagefileMapping(size, nullptr);
  if (mapping == nullptr) return LastErrorStatus("CreateFileMappingW");
  return Map(OwnedHandle(ToNativeHandle(mapping)), size);
}

absl::StatusOr<SharedMemory> SharedMemory::CreateNamed(absl::string_view name, size_t size) {
  if (absl::Status valid = ValidateSharedMemoryName(name); !valid.ok()) return valid;
  if (size == 0) return ZeroSizeError();
  absl::StatusOr<std::wstring> mapping_name = MappingName(name);
  if (!mapping_name.ok()) return mapping_name.status();
  HANDLE mapping = CreatePagefileMapping(size, mapping_name->c_str());
  if (mapping == nullptr) return LastErrorStatus("CreateFileMappingW");
  OwnedHandle owned(ToNativeHandle(mapping));
  // CreateFileMappingW opens an existing mapping of that name and says so only here.
  if (GetLastError() == ERROR_ALREADY_EXISTS) {
    return absl::AlreadyExistsError(absl::StrCat("shared memory '", name, "' already exists"));
  }
  return Map(std::move(owned), size);
}

absl::StatusOr<SharedMemory> SharedMemory::OpenNamed(absl::string_view name) {
  if (absl::Status valid = ValidateSharedMemoryName(name); !valid.ok()) return valid;
  absl::StatusOr<std::wstring> mapping_name = MappingName(name);
  if (!mapping_name.ok()) return mapping_name.status();
  HANDLE mapping = OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE, /*bInheritHandle=*/FALSE,
                                    mapping_name->c_str());
  if (mapping == nullptr) {
    if (GetLastError() == ERROR_FILE_NOT_FOUND) {
      return absl::NotFoundError(absl::StrCat("no shared memory named '", name, "'"));
    }
    return LastErrorStatus("OpenFileMappingW");
  }
  OwnedHandle owned(ToNativeHandle(mapping));
  absl::StatusOr<void*> data = MapView(owned.get(), 0);
  if (!data.ok()) return data.status();
  absl::StatusOr<size_t> size = ViewSize(*data);
  if (!size.ok()) {
    UnmapViewOfFile(*data);
    return size.status();
  }
  return SharedMemory(std::move(owned), *data, *size);
}

absl::Status SharedMemory::UnlinkNamed(absl::string_view name) {
  // A Windows mapping name disappears with the mapping's last handle; there is nothing to remove.
  return ValidateSharedMemoryName(name);
}

}  // namespace multiproc::platform
