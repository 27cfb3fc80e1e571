// Windows only (PE): naming a function as (module, offset) and finding it again in this process.
// Modules are found with GetModuleHandleExW and offsets checked against their executable sections;
// the main program is named "" in every process, so both sides agree.
#include "platform/code_location.h"

#include <windows.h>

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "platform/windows/errors.h"
#include "platform/windows/wide_strings.h"

namespace multiproc::platform {

namespace {

// True when `offset` from `module`'s load address falls in a section marked executable.
bool IsInExecutableSection(HMODULE module, uint64_t offset) {
  auto base = reinterpret_cast<const unsigned char*>(module);
  auto dos_header = reinterpret_cast<const IMAGE_DOS_HEADER*>(base);
  auto nt_headers = reinterpret_cast<const IMAGE_NT_HEADERS*>(base + dos_header->e_lfanew);
  const IMAGE_SECTION_HEADER* section = IMAGE_FIRST_SECTION(nt_headers);
  for (WORD i = 0; i < nt_headers->FileHeader.NumberOfSections; ++i, ++section) {
    if ((section->Characteristics & IMAGE_SCN_MEM_EXECUTE) == 0) continue;
    uint64_t start = section->VirtualAddress;
    if (offset >= start && offset < start + section->Misc.VirtualSize) return true;
  }
  return false;
}

// "" for the main program, as on POSIX; else the module's path.
absl::StatusOr<std::string> ModuleName(HMODULE module) {
  if (module == GetModuleHandleW(nullptr)) return std::string();
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    DWORD length = GetModuleFileNameW(module, path.data(), static_cast<DWORD>(path.size()));
    if (length == 0) return windows::LastErrorStatus("GetModuleFileNameW");
    if (length < path.size()) return windows::WideToUtf8(std::wstring_view(path.data(), length));
    path.resize(path.size() * 2);  // truncated
  }
}

absl::StatusOr<HMODULE> LoadedModule(const std::string& name) {
  if (name.empty()) return GetModuleHandleW(nullptr);
  absl::StatusOr<std::wstring> path = windows::Utf8ToWide(name);
  if (!path.ok()) return path.status();
  HMODULE module = GetModuleHandleW(path->c_str());
  if (module == nullptr) {
    return absl::NotFoundError(absl::StrCat("module '", name, "' is not loaded in this process"));
  }
  return module;
}

}  // namespace

absl::StatusOr<CodeLocation> LocateCode(const void* code) {
  HMODULE module = nullptr;
  if (!GetModuleHandleExW(
          GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
          static_cast<const wchar_t*>(code), &module)) {
    return absl::NotFoundError("the function is in no loaded module");
  }
  uint64_t offset = reinterpret_cast<uintptr_t>(code) - reinterpret_cast<uintptr_t>(module);
  if (!IsInExecutableSection(module, offset)) {
    return absl::NotFoundError("the address is not code of any loaded module");
  }
  absl::StatusOr<std::string> name = ModuleName(module);
  if (!name.ok()) return name.status();
  return CodeLocation{*name, offset};
}

absl::StatusOr<const void*> ResolveCode(const CodeLocation& location) {
  absl::StatusOr<HMODULE> module = LoadedModule(location.module);
  if (!module.ok()) return module.status();
  if (!IsInExecutableSection(*module, location.offset)) {
    return absl::NotFoundError(
        absl::StrCat("offset ", location.offset, " is not code in module '", location.module, "'"));
  }
  return reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(*module) + location.offset);
}

}  // namespace multiproc::platform
