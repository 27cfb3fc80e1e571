// The platform-neutral part of pipe.h: loops built on ReadSome.
#include "platform/pipe.h"

#include "absl/strings/str_cat.h"

namespace multiproc::platform {

absl::Status ReadExact(NativeHandle pipe_end, absl::Span<std::byte> buffer) {
  size_t filled = 0;
  while (filled < buffer.size()) {
    absl::StatusOr<size_t> got = ReadSome(pipe_end, buffer.subspan(filled));
    if (!got.ok()) return got.status();
    if (*got == 0) {
      return absl::OutOfRangeError(
          absl::StrCat("pipe closed after ", filled, " of ", buffer.size(), " bytes"));
    }
    filled += *got;
  }
  return absl::OkStatus();
}

}  // namespace multiproc::platform
