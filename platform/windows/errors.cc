// Windows only: Win32 error codes as absl::Status values.
#include "platform/windows/errors.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "platform/windows/wide_strings.h"

namespace multiproc::platform::windows {

namespace {

absl::StatusCode CodeFor(DWORD error) {
  switch (error) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_MOD_NOT_FOUND:
      return absl::StatusCode::kNotFound;
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
      return absl::StatusCode::kPermissionDenied;
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
    case ERROR_PIPE_BUSY:
    case WSAEADDRINUSE:
      return absl::StatusCode::kAlreadyExists;
    case ERROR_INVALID_HANDLE:
    case ERROR_INVALID_PARAMETER:
    case ERROR_BAD_EXE_FORMAT:
    case ERROR_INVALID_NAME:
      return absl::StatusCode::kInvalidArgument;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_NO_SYSTEM_RESOURCES:
    case ERROR_COMMITMENT_LIMIT:
    case ERROR_TOO_MANY_POSTS:
      return absl::StatusCode::kResourceExhausted;
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
    case ERROR_PIPE_NOT_CONNECTED:
    case WSAECONNREFUSED:
    case WSAECONNRESET:
    case WSAECONNABORTED:
    case WSAENOTCONN:
    case WSAESHUTDOWN:
    case WSAETIMEDOUT:
    case WSAENETUNREACH:
    case WSAEHOSTUNREACH:
      return absl::StatusCode::kUnavailable;
    case ERROR_OPERATION_ABORTED:
      return absl::StatusCode::kCancelled;
    case ERROR_NOT_SUPPORTED:
    case ERROR_CALL_NOT_IMPLEMENTED:
      return absl::StatusCode::kUnimplemented;
    default:
      return absl::StatusCode::kUnknown;
  }
}

// The system's text for `error`, without the trailing ".\r\n" FormatMessage appends.
std::string SystemMessage(DWORD error) {
  wchar_t* buffer = nullptr;
  DWORD length = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, error, 0, reinterpret_cast<wchar_t*>(&buffer), 0, nullptr);
  if (length == 0) return "unknown error";
  std::string message = WideToUtf8(std::wstring_view(buffer, length));
  LocalFree(buffer);
  absl::StripTrailingAsciiWhitespace(&message);
  return message;
}

}  // namespace

absl::Status Win32ErrorStatus(absl::string_view failed_call, DWORD error) {
  return absl::Status(CodeFor(error), absl::StrCat(failed_call, " failed: ", SystemMessage(error),
                                                   " (Win32 error ", error, ")"));
}

absl::Status LastErrorStatus(absl::string_view failed_call) {
  return Win32ErrorStatus(failed_call, GetLastError());
}

}  // namespace multiproc::platform::windows
