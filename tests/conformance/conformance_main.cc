// The conformance binary's main: main_guard first, as every multiproc program must, so that the
// children the tests start with spawn and forkserver run their targets here and exit.
#include <cstring>
#include <iostream>

#include "core/main_guard.h"
#include "gtest/gtest.h"

// Returned if a spawned child ever ran main past main_guard (seed 002's guarantee); the tests
// expect exit code 0 from their children, so this would fail them.
constexpr int kRanPastTheGuard = 99;

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);
  if (argc >= 2 && std::strncmp(argv[1], "--multiproc-", 12) == 0) {
    std::cerr << "conformance_test: a child ran main() past main_guard" << std::endl;
    return kRanPastTheGuard;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
