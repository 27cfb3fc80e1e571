// A program whose main() forgets multiproc::main_guard. Run as `no_guard_program METHOD`, it
// starts one child with METHOD. The spawned copy of the program runs main() from the top and
// must be stopped with BootstrapError at start() (never start children of its own); the original
// process must learn of it and not hang. Exits 0 when all of that held.
#include <algorithm>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "core/multiproc.h"

namespace {

constexpr int kChildSawBootstrapError = 42;

void Target() {}

bool MentionsTheGuard(const char* message) {
  return std::strstr(message, "main_guard(argc, argv)") != nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  // Deliberately no multiproc::main_guard(argc, argv) here.
  // The spawned copy sees multiproc's own arguments here; any method will do for it to reach
  // start(), so it falls back to the default.
  std::vector<std::string> methods = multiproc::get_all_start_methods();
  std::string method =
      argc >= 2 && std::find(methods.begin(), methods.end(), argv[1]) != methods.end()
          ? argv[1]
          : multiproc::get_start_method();
  multiproc::Process child = multiproc::get_context(method).process(Target);
  try {
    child.start();
  } catch (const multiproc::BootstrapError& error) {
    // We are the spawned copy: the guard check fired before any child of ours started.
    return MentionsTheGuard(error.what()) ? kChildSawBootstrapError : 3;
  } catch (const multiproc::OSError& error) {
    // We are the original process and the forkserver (itself a spawned copy) stopped at once.
    std::cerr << error.what() << std::endl;
    return method == "forkserver" && std::strstr(error.what(), "main_guard") != nullptr ? 0 : 4;
  }
  child.join(absl::Seconds(60));
  std::optional<int> exitcode = child.exitcode();
  if (exitcode != kChildSawBootstrapError) {
    std::cerr << "no_guard_program: child exit code "
              << (exitcode.has_value() ? std::to_string(*exitcode) : "none (still running)")
              << ", expected " << kChildSawBootstrapError << std::endl;
    return 1;
  }
  return 0;
}
