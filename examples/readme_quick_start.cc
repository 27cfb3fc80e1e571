// The README's quick start, kept compiling and running as a test.
#include <iostream>

#include "core/multiproc.h"

int Square(int x) { return x * x; }

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);  // first statement: spawned children start here
  multiproc::Pool pool(multiproc::PoolOptions().processes(4));
  std::vector<int> squares = pool.map(Square, std::vector<int>{1, 2, 3, 4});
  multiproc::Queue<std::string> queue;
  multiproc::Process child([](multiproc::Queue<std::string> q) { q.put("hi"); }, queue);
  child.start();
  std::cout << queue.get() << " " << squares[3] << "\n";  // hi 16
  child.join();
}
