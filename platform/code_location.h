// Naming a function so another process running the same program can find it. Spawned children
// are fresh copies of the executable loaded at a different address (ASLR), so a function pointer
// travels as (module, offset from the module's load address) and is resolved in the receiver.
//
//   absl::StatusOr<platform::CodeLocation> where = platform::LocateCode(&Work);
//   // ... in the child:
//   absl::StatusOr<const void*> code = platform::ResolveCode(*where);
#ifndef MULTIPROC_PLATFORM_CODE_LOCATION_H_
#define MULTIPROC_PLATFORM_CODE_LOCATION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace multiproc::platform {

struct CodeLocation {
  std::string module;   // "" for the main program, else the shared library's path
  uint64_t offset = 0;  // from the module's load address

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(module, offset);
  }
};

// Where `code` (a function's address) lives. NotFound if no loaded module contains it.
absl::StatusOr<CodeLocation> LocateCode(const void* code);

// The address of `location` in this process. NotFound if its module is not loaded here or the
// offset is outside the module's executable code.
absl::StatusOr<const void*> ResolveCode(const CodeLocation& location);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_CODE_LOCATION_H_
