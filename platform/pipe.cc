// The platform-neutral part of pipe.h: loops built on ReadSome.
#include "platform/pipe.h"

#include <algorithm>

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

absl::Status ReadAppending(NativeHandle pipe_end, uint64_t length, std::string& bytes) {
  constexpr uint64_t kStep = uint64_t{1} << 20;
  for (uint64_t done = 0; done < length;) {
    size_t step = static_cast<size_t>(std::min(kStep, length - done));
    size_t old_size = bytes.size();
    bytes.resize(old_size + step);
    if (absl::Status status =
            ReadExact(pipe_end, {reinterpret_cast<std::byte*>(bytes.data()) + old_size, step});
        !status.ok()) {
      bytes.resize(old_size);
      return status;
    }
    done += step;
  }
  return absl::OkStatus();
}

}  // namespace multiproc::platform
