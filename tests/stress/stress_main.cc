// The stress binary's main: main_guard first, so spawn and forkserver children re-enter here.
// Stress tests repeat an operation many times (1,000 start/join cycles, 100 crashes) and are
// kept out of the quick suite: ci/stress.sh runs them.
#include "core/main_guard.h"
#include "gtest/gtest.h"

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
