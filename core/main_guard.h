// main_guard: the C++ form of Python's `if __name__ == '__main__':` (plus freeze_support()).
// Call it first thing in main(). In a normal run it returns at once. In a child started by the
// spawn or forkserver start method, which is a fresh run of the same program, it runs the child's
// work and exits; it never returns there. Code above the call and static initializers run again
// in every spawned child, as Python re-imports the main module.
//
//   int main(int argc, char** argv) {
//     multiproc::main_guard(argc, argv);
//     multiproc::Process worker(&Work, 42);
//     worker.start();
//     worker.join();
//   }
//
// Process::start in a program that has not passed through main_guard throws BootstrapError
// saying so, under every start method: a program that forgot the guard would otherwise work with
// 'fork' and fail only under 'spawn' (Windows' one method), where a spawned child without it
// would start children of its own forever.
#ifndef MULTIPROC_CORE_MAIN_GUARD_H_
#define MULTIPROC_CORE_MAIN_GUARD_H_

namespace multiproc {

void main_guard(int argc, char** argv);

namespace internal {
// Throws BootstrapError if this process has not called main_guard.
void RequireMainGuard();
}  // namespace internal

}  // namespace multiproc

#endif  // MULTIPROC_CORE_MAIN_GUARD_H_
