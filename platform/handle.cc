// The platform-neutral part of OwnedHandle; closing and duplicating live in posix/ and windows/.
#include "platform/handle.h"

#include <utility>

namespace multiproc::platform {

OwnedHandle& OwnedHandle::operator=(OwnedHandle&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

NativeHandle OwnedHandle::release() { return std::exchange(handle_, kInvalidHandle); }

void OwnedHandle::reset(NativeHandle handle) {
  NativeHandle previous = std::exchange(handle_, handle);
  if (previous != kInvalidHandle && previous != handle) CloseNativeHandle(previous);
}

}  // namespace multiproc::platform
