// Windows only: see owner_only_security.h. The descriptor is written in SDDL from the SID of this
// process's token user: "D:P(A;;GA;;;<user>)(A;;GA;;;SY)", a protected DACL that inherits nothing.
#include "platform/windows/owner_only_security.h"

#include <sddl.h>

#include <string>
#include <vector>

#include "platform/windows/errors.h"

namespace multiproc::platform::windows {
namespace {

absl::StatusOr<std::wstring> CurrentUserSid() {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
    return LastErrorStatus("OpenProcessToken");
  }
  DWORD size = 0;
  GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::vector<BYTE> buffer(size);
  BOOL known = size != 0 && GetTokenInformation(token, TokenUser, buffer.data(), size, &size);
  absl::Status failure = known ? absl::OkStatus() : LastErrorStatus("GetTokenInformation");
  CloseHandle(token);
  if (!failure.ok()) return failure;
  LPWSTR text = nullptr;
  if (!ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(buffer.data())->User.Sid, &text)) {
    return LastErrorStatus("ConvertSidToStringSidW");
  }
  std::wstring sid(text);
  LocalFree(text);
  return sid;
}

absl::StatusOr<SECURITY_ATTRIBUTES*> MakeOwnerOnlySecurity() {
  absl::StatusOr<std::wstring> user = CurrentUserSid();
  if (!user.ok()) return user.status();
  std::wstring sddl = L"D:P(A;;GA;;;" + *user + L")(A;;GA;;;SY)";
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1,
                                                            &descriptor, nullptr)) {
    return LastErrorStatus("ConvertStringSecurityDescriptorToSecurityDescriptorW");
  }
  return new SECURITY_ATTRIBUTES{sizeof(SECURITY_ATTRIBUTES), descriptor, /*bInheritHandle=*/FALSE};
}

}  // namespace

absl::StatusOr<SECURITY_ATTRIBUTES*> OwnerOnlySecurity() {
  static const absl::StatusOr<SECURITY_ATTRIBUTES*> security = MakeOwnerOnlySecurity();
  return security;
}

}  // namespace multiproc::platform::windows
