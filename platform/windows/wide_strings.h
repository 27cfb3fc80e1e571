// Windows only: UTF-8 (multiproc's strings) to and from UTF-16 (the Win32 "W" functions).
#ifndef MULTIPROC_PLATFORM_WINDOWS_WIDE_STRINGS_H_
#define MULTIPROC_PLATFORM_WINDOWS_WIDE_STRINGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace multiproc::platform::windows {

// InvalidArgument when `utf8` is not valid UTF-8.
absl::StatusOr<std::wstring> Utf8ToWide(absl::string_view utf8);

// Unpaired surrogates (possible in Windows file names) become U+FFFD.
std::string WideToUtf8(std::wstring_view wide);

}  // namespace multiproc::platform::windows

#endif  // MULTIPROC_PLATFORM_WINDOWS_WIDE_STRINGS_H_
