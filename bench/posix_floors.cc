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

// start_join/spawn/floor: posix_spawn of a tiny static program, then waitpid.
void PosixSpawnTinyProgram(benchmark::State& state) {
  std::string program = std::filesystem::path(multiproc::platform::CurrentExecutablePath().value())
                            .replace_filename(MULTIPROC_TINY_PROGRAM_NAME)
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
BENCHMARK(PosixSpawnTinyProgram)
    ->Name("start_join/spawn/floor")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
