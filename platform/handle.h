// Owning wrapper for the OS's name of an open object: a file descriptor on POSIX, a HANDLE on
// Windows. Everything multiproc hands to a child process or another running process starts as
// one of these, so ownership (who closes it) is always explicit.
//
//   absl::StatusOr<platform::OwnedHandle> copy = handle.Duplicate();
//   RETURN_IF_ERROR(platform::SetInheritable(copy->get(), false));
#ifndef MULTIPROC_PLATFORM_HANDLE_H_
#define MULTIPROC_PLATFORM_HANDLE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace multiproc::platform {

// A file descriptor (POSIX) or HANDLE (Windows) widened to one integer type, so platform-neutral
// code can store and serialize it without including an OS header.
using NativeHandle = std::intptr_t;

// -1 is the invalid value on both platforms: POSIX uses -1, Windows' INVALID_HANDLE_VALUE is
// (HANDLE)-1. Windows calls that report failure with NULL are normalized to this value.
inline constexpr NativeHandle kInvalidHandle = -1;

// Sole owner of a NativeHandle: closes it on destruction. Move-only.
class OwnedHandle {
 public:
  OwnedHandle() = default;
  explicit OwnedHandle(NativeHandle handle) : handle_(handle) {}
  OwnedHandle(OwnedHandle&& other) noexcept : handle_(other.release()) {}
  OwnedHandle& operator=(OwnedHandle&& other) noexcept;
  OwnedHandle(const OwnedHandle&) = delete;
  OwnedHandle& operator=(const OwnedHandle&) = delete;
  ~OwnedHandle() { reset(); }

  NativeHandle get() const { return handle_; }
  bool valid() const { return handle_ != kInvalidHandle; }

  // Gives up ownership without closing; the caller now owns the returned value.
  NativeHandle release();

  // Closes the current handle (if any) and takes ownership of `handle`.
  void reset(NativeHandle handle = kInvalidHandle);

  // A second handle to the same object. The copy is not inheritable: a handle reaches a child
  // only through an explicit launch list.
  absl::StatusOr<OwnedHandle> Duplicate() const;

 private:
  NativeHandle handle_ = kInvalidHandle;
};

// Marks `handle` as inheritable by (or, with false, hidden from) processes launched later. On
// POSIX this is the inverse of FD_CLOEXEC; on Windows HANDLE_FLAG_INHERIT. Note that multiproc's
// launcher passes only the handles listed in a LaunchSpec, whatever this flag says.
absl::Status SetInheritable(NativeHandle handle, bool inheritable);
absl::StatusOr<bool> IsInheritable(NativeHandle handle);

// True when `handle` names an open object in this process.
bool IsOpen(NativeHandle handle);

// Closes `handle`, ignoring errors: there is nothing a caller could do about a failed close.
void CloseNativeHandle(NativeHandle handle);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_HANDLE_H_
