// Seed 002: Process and Pool basics — join, daemon children, zombies, the main guard, and a Lock
// handed to every pool worker through initializer/initargs.
#include <iostream>
#include <vector>

#include "core/multiproc.h"

namespace {

multiproc::Lock* worker_lock = nullptr;  // each pool worker's own copy of the shared Lock

void InstallLock(multiproc::Lock lock) { worker_lock = new multiproc::Lock(std::move(lock)); }

int CountUnderLock(multiproc::Value<int> counter) {
  std::lock_guard<multiproc::Lock> hold(*worker_lock);
  counter.get_obj().set(counter.get_obj().get() + 1);
  return counter.get_obj().get();
}

void Sleep(int milliseconds) { absl::SleepFor(absl::Milliseconds(milliseconds)); }

}  // namespace

int main(int argc, char** argv) {
  // Everything above this line runs again in every spawned child; nothing below it does.
  multiproc::main_guard(argc, argv);

  // A finished child nobody joined is a zombie until active_children() or join() reaps it.
  multiproc::Process quick(Sleep, 0);
  quick.start();
  multiproc::wait({quick.sentinel()});  // it has finished (wait does not reap it)
  bool reaped = multiproc::active_children().empty();
  std::cout << "un-joined finished child reaped by active_children(): " << reaped << "\n";

  // A daemon child is terminated when its parent exits; here we stop it ourselves.
  multiproc::Process daemon(Sleep, 60000);
  daemon.set_daemon(true);
  daemon.start();
  daemon.terminate();
  daemon.join();
  std::cout << "terminated daemon exit code: " << *daemon.exitcode() << " (-15 everywhere)\n";

  // A Lock through initializer/initargs, as seed 002 does with Pool(initializer, initargs).
  multiproc::Lock lock;
  multiproc::Value<int> counter(0);
  multiproc::Pool pool(multiproc::PoolOptions().processes(2), InstallLock, lock);
  std::vector<multiproc::AsyncResult<int>> results;
  for (int i = 0; i < 20; ++i) results.push_back(pool.apply_async(CountUnderLock, counter));
  for (auto& result : results) result.get();
  pool.close();
  pool.join();
  std::cout << "20 pool tasks counted under the initializer's Lock: " << counter.get() << "\n";
  return reaped && daemon.exitcode() == -15 && counter.get() == 20 ? 0 : 1;
}
