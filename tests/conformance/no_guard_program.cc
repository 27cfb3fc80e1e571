// A program whose main() forgets multiproc::main_guard. Run as `no_guard_program METHOD`, it
// tries to start one child with METHOD; start() must raise BootstrapError naming the guard
// under every method (under spawn a child without the guard would start children of its own
// forever, and a program that works under fork would fail on Windows). Exits 0 when it did.
#include <algorithm>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "core/multiproc.h"

namespace {

void Target() {}

bool MentionsTheGuard(const char* message) {
  return std::strstr(message, "main_guard(argc, argv)") != nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  // Deliberately no multiproc::main_guard(argc, argv) here.
  std::vector<std::string> methods = multiproc::get_all_start_methods();
  std::string method =
      argc >= 2 && std::find(methods.begin(), methods.end(), argv[1]) != methods.end()
          ? argv[1]
          : multiproc::get_start_method();
  multiproc::Process child = multiproc::get_context(method).process(Target);
  try {
    child.start();
  } catch (const multiproc::BootstrapError& error) {
    // Under every start method, before any child exists.
    return MentionsTheGuard(error.what()) ? 0 : 3;
  }
  child.join(absl::Seconds(60));
  std::cerr << "no_guard_program: a child started without the guard (method " << method << ")"
            << std::endl;
  return 1;
}
