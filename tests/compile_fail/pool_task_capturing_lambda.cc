// Must not compile: a capturing lambda cannot travel to a Pool worker. tests/CMakeLists.txt builds
// this and checks that the compiler gives the reason in the library's own words.
#include <vector>

#include "core/multiproc.h"

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);
  int offset = 1;
  multiproc::Pool pool(1);
  pool.map([offset](int x) { return x + offset; }, std::vector<int>{1});
  return 0;
}
