// POSIX only (ELF): modules and their executable segments come from dl_iterate_phdr, which names
// the main program "" in every process, so both sides agree on module names.
#include "platform/code_location.h"

#include <link.h>
#include <pthread.h>

#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace multiproc::platform {

namespace {

struct Search {
  // Input: an address, or a module name to find.
  uintptr_t address = 0;
  const char* module = nullptr;
  // Output.
  bool found = false;
  uintptr_t load_bias = 0;
  std::string module_name;
  bool address_is_code = false;
};

bool InExecutableSegment(const dl_phdr_info* info, uintptr_t address) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD || (segment.p_flags & PF_X) == 0) continue;
    uintptr_t start = info->dlpi_addr + segment.p_vaddr;
    if (address >= start && address < start + segment.p_memsz) return true;
  }
  return false;
}

int FindByAddress(dl_phdr_info* info, size_t, void* data) {
  Search* search = static_cast<Search*>(data);
  if (!InExecutableSegment(info, search->address)) return 0;
  search->found = true;
  search->load_bias = info->dlpi_addr;
  search->module_name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  return 1;
}

int FindByName(dl_phdr_info* info, size_t, void* data) {
  Search* search = static_cast<Search*>(data);
  const char* name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  if (std::strcmp(name, search->module) != 0) return 0;
  search->found = true;
  search->load_bias = info->dlpi_addr;
  search->address_is_code = InExecutableSegment(info, info->dlpi_addr + search->address);
  return 1;
}

// dl_iterate_phdr holds the loader's lock while it runs, and a fork taken meanwhile by another
// thread leaves that lock held forever in the child: the child's first ResolveCode hangs (a Pool
// starting workers from two threads did). So multiproc's module queries and fork exclude each
// other: fork waits for a query in progress (pthread_atfork), and no query starts during a fork.
// A user thread inside dlopen at the moment of a fork can still leave the lock held in the child;
// that is the fork start method's own hazard with threads, as in Python.
std::mutex& ModuleQueryMutex() {
  static std::mutex mutex;
  static const int registered =
      pthread_atfork([] { mutex.lock(); }, [] { mutex.unlock(); }, [] { mutex.unlock(); });
  (void)registered;  // without the handlers a fork may still hang; nothing better to do then
  return mutex;
}

void IterateModules(int (*visit)(dl_phdr_info*, size_t, void*), Search& search) {
  std::lock_guard<std::mutex> lock(ModuleQueryMutex());
  dl_iterate_phdr(visit, &search);
}

}  // namespace

absl::StatusOr<CodeLocation> LocateCode(const void* code) {
  Search search;
  search.address = reinterpret_cast<uintptr_t>(code);
  IterateModules(FindByAddress, search);
  if (!search.found) return absl::NotFoundError("the function is in no loaded module");
  return CodeLocation{search.module_name, search.address - search.load_bias};
}

absl::StatusOr<const void*> ResolveCode(const CodeLocation& location) {
  Search search;
  search.module = location.module.c_str();
  search.address = static_cast<uintptr_t>(location.offset);  // the offset, checked in FindByName
  IterateModules(FindByName, search);
  if (!search.found) {
    return absl::NotFoundError(
        absl::StrCat("module '", location.module, "' is not loaded in this process"));
  }
  if (!search.address_is_code) {
    return absl::NotFoundError(
        absl::StrCat("offset ", location.offset, " is not code in module '", location.module, "'"));
  }
  return reinterpret_cast<const void*>(search.load_bias + location.offset);
}

}  // namespace multiproc::platform
