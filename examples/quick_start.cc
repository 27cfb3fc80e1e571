// The README's quick start: one child per start method this platform offers, each greeting from
// its own process. Prints what it shows; exits non-zero if a child did not end cleanly.
#include <iostream>
#include <string>

#include "core/multiproc.h"

void Greet(std::string who, int times) {
  for (int i = 0; i < times; ++i) {
    std::cout << "hello " << who << " (pid " << multiproc::current_process().pid << ", "
              << multiproc::current_process().name << ")" << std::endl;
  }
}

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);  // first statement: spawned children start here
  for (const std::string& method : multiproc::get_all_start_methods()) {
    multiproc::Process child = multiproc::get_context(method).process(Greet, "from " + method, 2);
    child.start();
    child.join();
    if (child.exitcode() != 0) return 1;
  }
  std::cout << "parent " << multiproc::current_process().pid << ": every child exited with 0"
            << std::endl;
  return 0;
}
