// A multiproc program that does nothing: main_guard, then return. Starting it is the floor for
// the spawn start method beside the tiny static program: what exec of a C++ program linked
// with multiproc costs (the dynamic loader, the C++ runtime, static initializers) before any
// of multiproc's own work.
#include "core/main_guard.h"

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);
  return 0;
}
