// Start methods: how a Process begins life, as in Python's multiprocessing.
//   fork        the child is a copy of the parent (POSIX only; opt-in).
//   spawn       the child is a fresh run of the same program that enters main_guard (everywhere).
//   forkserver  a clean, single-threaded server started by spawn forks each child (POSIX).
// The default is forkserver where fork exists, spawn on Windows.
//
//   multiproc::set_start_method("spawn");
//   multiproc::Context fork_context = multiproc::get_context("fork");
//   multiproc::Process child = fork_context.process(&Work, 42);
#ifndef MULTIPROC_CORE_START_METHOD_H_
#define MULTIPROC_CORE_START_METHOD_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace multiproc {

enum class StartMethod { kFork, kSpawn, kForkserver };

// "fork", "spawn" or "forkserver".
std::string StartMethodName(StartMethod method);
// Parses a name; ValueError for an unknown or (on this platform) unavailable method.
StartMethod ParseStartMethod(absl::string_view name);

// The methods this platform offers, the default first.
std::vector<std::string> get_all_start_methods();

// Sets the default start method. As in Python, setting it a second time is a ProcessError
// ("context has already been set") unless `force` is true.
void set_start_method(absl::string_view method, bool force = false);

// The default start method's name; fixes the default if none was set, as Python does.
std::string get_start_method();

StartMethod DefaultStartMethod();

}  // namespace multiproc

#endif  // MULTIPROC_CORE_START_METHOD_H_
