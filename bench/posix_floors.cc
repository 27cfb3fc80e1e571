// Raw floors on bare POSIX calls, for the ratios in the report. Benchmark code, not library
// code: this is the one place outside platform/ that calls the OS directly, because measuring the
// bare system call is its purpose.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "benchmark/benchmark.h"
#include "platform/process.h"

extern char** environ;

namespace {

// start_join/fork/floor: fork, _exit in the child, waitpid in the parent.
void ForkExitWaitpid(benchmark::State& state) {
  for (auto _ : state) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      state.SkipWithError("fork floor failed");
      return;
    }
  }
}

// posix_spawn of `program_name` (beside this binary) with no arguments, then waitpid.
void PosixSpawnProgram(benchmark::State& state, const char* program_name) {
  std::string program = std::filesystem::path(multiproc::platform::CurrentExecutablePath().value())
                            .replace_filename(program_name)
                            .string();
  char* argv[] = {program.data(), nullptr};
  for (auto _ : state) {
    pid_t pid = 0;
    int status = 0;
    if (posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, environ) != 0 ||
        waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      state.SkipWithError("posix_spawn floor failed");
      return;
    }
  }
}

BENCHMARK(ForkExitWaitpid)
    ->Name("start_join/fork/floor")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// start_join/spawn/floor: a tiny static program, the floor the spawn target is measured against.
BENCHMARK_CAPTURE(PosixSpawnProgram, tiny, MULTIPROC_TINY_PROGRAM_NAME)
    ->Name("start_join/spawn/floor")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// start_join/spawn/exec_floor: a multiproc program that returns from main at once: the part of
// a spawn start that is exec of a dynamically linked C++ program rather than multiproc's work.
BENCHMARK_CAPTURE(PosixSpawnProgram, idle, MULTIPROC_IDLE_PROGRAM_NAME)
    ->Name("start_join/spawn/exec_floor")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
