// Windows only: UTF-8 <-> UTF-16 conversion for the Win32 "W" functions.
#include "platform/windows/wide_strings.h"

#include <windows.h>

#include <climits>

#include "absl/status/status.h"

namespace multiproc::platform::windows {

absl::StatusOr<std::wstring> Utf8ToWide(absl::string_view utf8) {
  if (utf8.empty()) return std::wstring();
  if (utf8.size() > INT_MAX) return absl::InvalidArgumentError("string too long for Win32");
  int length = static_cast<int>(utf8.size());
  int wide_length =
      MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), length, nullptr, 0);
  if (wide_length == 0) return absl::InvalidArgumentError("string is not valid UTF-8");
  std::wstring wide(static_cast<size_t>(wide_length), L'\0');
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), length, wide.data(), wide_length);
  return wide;
}

std::string WideToUtf8(std::wstring_view wide) {
  if (wide.empty() || wide.size() > INT_MAX) return std::string();
  int length = static_cast<int>(wide.size());
  int utf8_length =
      WideCharToMultiByte(CP_UTF8, 0, wide.data(), length, nullptr, 0, nullptr, nullptr);
  std::string utf8(static_cast<size_t>(utf8_length), '\0');
  WideCharToMultiByte(CP_UTF8, 0, wide.data(), length, utf8.data(), utf8_length, nullptr, nullptr);
  return utf8;
}

}  // namespace multiproc::platform::windows
