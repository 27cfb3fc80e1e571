#include "platform/process.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "platform/code_location.h"
#include "platform/pipe.h"
#include "tests/platform/test_support.h"

namespace multiproc::platform {
namespace {

using testing::LaunchHelper;
using testing::ReadToEnd;
using testing::WaitBriefly;

TEST(Process, CurrentExecutablePathNamesAnExistingFile) {
  absl::StatusOr<std::string> path = CurrentExecutablePath();
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_TRUE(std::filesystem::is_regular_file(*path)) << *path;
}

TEST(Process, ExitCodeIsReported) {
  absl::StatusOr<ChildProcess> child = LaunchHelper({"exit", "7"});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_GT(child->pid(), 0);
  EXPECT_NE(child->pid(), CurrentProcessId());
  absl::StatusOr<ExitStatus> status = WaitBriefly(*child);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->exit_code, 7);
  EXPECT_EQ(status->signal, 0);
  EXPECT_EQ(status->python_exitcode(), 7);
}

TEST(Process, WaitAgainReturnsTheRememberedStatus) {
  absl::StatusOr<ChildProcess> child = LaunchHelper({"exit", "3"});
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(WaitBriefly(*child).ok());
  absl::StatusOr<std::optional<ExitStatus>> again = child->Wait(absl::ZeroDuration());
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->exit_code, 3);
}

TEST(Process, WaitTimesOutWhileTheChildRunsThenKillReportsSignal9) {
  absl::StatusOr<ChildProcess> child = LaunchHelper({"sleep"});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<std::optional<ExitStatus>> early = child->Wait(absl::Milliseconds(100));
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_FALSE(early->has_value());
  ASSERT_TRUE(child->Kill().ok());
  absl::StatusOr<ExitStatus> status = WaitBriefly(*child);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->signal, kSignalKill);
  EXPECT_EQ(status->python_exitcode(), -9);
}

TEST(Process, TerminateReportsMinus15OnEveryPlatform) {
  absl::StatusOr<ChildProcess> child = LaunchHelper({"sleep"});
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(child->Terminate().ok());
  absl::StatusOr<ExitStatus> status = WaitBriefly(*child);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->python_exitcode(), -15);
}

TEST(Process, SentinelBecomesReadyWhenTheChildExits) {
  absl::StatusOr<ChildProcess> child = LaunchHelper({"sleep"});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<bool> running = WaitForSentinel(child->sentinel(), absl::Milliseconds(50));
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_FALSE(*running);
  ASSERT_TRUE(child->Kill().ok());
  absl::StatusOr<bool> exited = WaitForSentinel(child->sentinel(), absl::Seconds(30));
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_TRUE(*exited);
  EXPECT_TRUE(WaitBriefly(*child).ok());
}

TEST(Process, LaunchingAMissingProgramIsAnError) {
  LaunchSpec spec;
  spec.executable = (std::filesystem::temp_directory_path() / "multiproc-no-such-program").string();
  absl::StatusOr<ChildProcess> child = Launch(spec);
  EXPECT_FALSE(child.ok());
}

// The fork start method warns when the parent runs threads, so the count must see one come and
// go. Polled, as a thread that has returned from join may still be listed for a moment (and Wine
// may run helper threads of its own, hence no exact counts).
TEST(Process, CountThreadsSeesAThreadComeAndGo) {
  int before = CountThreads();
  EXPECT_GE(before, 1);
  std::atomic<bool> release{false};
  std::thread worker([&release] {
    while (!release.load()) std::this_thread::yield();
  });
  int during = CountThreads();
  EXPECT_GE(during, before + 1);
  release.store(true);
  worker.join();
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (CountThreads() >= during && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_LT(CountThreads(), during);
}

// bind_symbols_at_load reaches the launched child alone, and the child can take it back so that
// its own children load as usual. Windows (no fork) binds imports at load and sets nothing.
TEST(Process, BindSymbolsAtLoadIsAskedOfTheChildWhichCanForgetIt) {
  if (std::getenv("LD_BIND_NOW") != nullptr) {
    GTEST_SKIP() << "LD_BIND_NOW is set for this whole run, so no request would be multiproc's";
  }
  absl::StatusOr<PipePair> pipe = CreateSimplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  LaunchSpec spec;
  spec.executable = testing::ChildHelperPath();
  spec.arguments = {"bind-request", testing::HandleArgument(pipe->second.get())};
  spec.handles_to_pass = {pipe->second.get()};
  spec.bind_symbols_at_load = true;
  absl::StatusOr<ChildProcess> child = Launch(spec);
  ASSERT_TRUE(child.ok()) << child.status();
  pipe->second.reset();
  absl::StatusOr<std::string> reported = ReadToEnd(pipe->first.get());
  ASSERT_TRUE(reported.ok()) << reported.status();
  EXPECT_EQ(*reported, SupportsFork() ? "multiproc|(unset)" : "(unset)|(unset)");
  EXPECT_EQ(std::getenv("LD_BIND_NOW"), nullptr) << "the request leaked into the parent";
  absl::StatusOr<ExitStatus> status = WaitBriefly(*child);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->exit_code, 0);
}

TEST(Process, ArgumentsArriveUnchanged) {
  absl::StatusOr<PipePair> pipe = CreateSimplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  // Spaces, quotes and backslashes are what Windows command-line quoting gets wrong.
  std::vector<std::string> sent = {"plain",         "two words",      "",
                                   "quote\"inside", R"(back\slash\)", R"(trailing\\ "x")"};
  std::vector<std::string> arguments = {"echo-args", testing::HandleArgument(pipe->second.get())};
  arguments.insert(arguments.end(), sent.begin(), sent.end());
  absl::StatusOr<ChildProcess> child = LaunchHelper(arguments, {pipe->second.get()});
  ASSERT_TRUE(child.ok()) << child.status();
  pipe->second.reset();
  absl::StatusOr<std::string> echoed = ReadToEnd(pipe->first.get());
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(*echoed, absl::StrJoin(sent, "\n"));
  absl::StatusOr<ExitStatus> status = WaitBriefly(*child);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->exit_code, 0);
}

// The child gets exactly the listed handles: the unlisted one is inheritable, yet the child's write
// through its value must not reach the pipe.
TEST(Process, ChildUsesListedHandlesAndCannotUseUnlistedInheritableOnes) {
  absl::StatusOr<PipePair> listed = CreateSimplexPipe();
  absl::StatusOr<PipePair> unlisted = CreateSimplexPipe();
  ASSERT_TRUE(listed.ok() && unlisted.ok());
  ASSERT_TRUE(SetInheritable(unlisted->second.get(), true).ok());
  absl::StatusOr<ChildProcess> child =
      LaunchHelper({"write-handles", testing::HandleArgument(listed->second.get()),
                    testing::HandleArgument(unlisted->second.get())},
                   {listed->second.get()});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<ExitStatus> status = WaitBriefly(*child);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->exit_code, 0);
  listed->second.reset();
  unlisted->second.reset();
  absl::StatusOr<std::string> from_listed = ReadToEnd(listed->first.get());
  absl::StatusOr<std::string> from_unlisted = ReadToEnd(unlisted->first.get());
  ASSERT_TRUE(from_listed.ok() && from_unlisted.ok());
  EXPECT_EQ(*from_listed, "listed");
  EXPECT_EQ(*from_unlisted, "");
}

// A holder launched with kill_when_parent_dies keeps a pipe open; once its parent is killed, the
// pipe must reach end of stream because the holder died too.
TEST(Process, KillWhenParentDiesTakesTheGrandchildDown) {
  absl::StatusOr<PipePair> pipe = CreateSimplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  absl::StatusOr<ChildProcess> parent = LaunchHelper(
      {"spawn-holder", testing::HandleArgument(pipe->second.get())}, {pipe->second.get()});
  ASSERT_TRUE(parent.ok()) << parent.status();
  pipe->second.reset();
  std::byte hello[1];
  ASSERT_TRUE(ReadExact(pipe->first.get(), hello).ok()) << "the holder never started";
  ASSERT_TRUE(parent->Kill().ok());
  ASSERT_TRUE(WaitBriefly(*parent).ok());
  absl::StatusOr<bool> ended = WaitReadable(pipe->first.get(), absl::Seconds(10));
  ASSERT_TRUE(ended.ok()) << ended.status();
  ASSERT_TRUE(*ended) << "the holder outlived its parent by 10 s";
  absl::StatusOr<size_t> got = ReadSome(pipe->first.get(), hello);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, 0u);
}

}  // namespace
}  // namespace multiproc::platform

namespace multiproc::platform {
namespace {

// CurrentProcessId caches the pid (getpid is a system call on every lock acquire); a fork child
// must see its own pid, not the parent's cached one.
TEST(CurrentProcessId, IsFreshInAForkChild) {
  if (!SupportsFork()) GTEST_SKIP() << "no fork on this platform";
  ProcessId parent = CurrentProcessId();  // cached before the fork
  absl::StatusOr<PipePair> pipe = CreateSimplexPipe();
  ASSERT_TRUE(pipe.ok());
  NativeHandle writer = pipe->second.get();
  absl::StatusOr<ChildProcess> child = ForkAndRun(
      [writer] {
        ProcessId self = CurrentProcessId();
        return WriteAll(writer, {reinterpret_cast<const std::byte*>(&self), sizeof(self)}).ok() ? 0
                                                                                                : 1;
      },
      false);
  ASSERT_TRUE(child.ok()) << child.status();
  pipe->second.reset();
  ProcessId reported = 0;
  ASSERT_TRUE(
      ReadExact(pipe->first.get(), {reinterpret_cast<std::byte*>(&reported), sizeof(reported)})
          .ok());
  absl::StatusOr<std::optional<ExitStatus>> status = child->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok() && status->has_value());
  EXPECT_EQ(reported, child->pid()) << "the child saw its parent's cached pid";
  EXPECT_NE(reported, parent);
  EXPECT_EQ(CurrentProcessId(), parent);
}

int NamedFunction() { return 0; }

// A fork child resolves its target by module; had another thread been searching the modules at
// the moment of the fork, the loader's lock would stay held in the child and the search hang.
TEST(ForkAndRun, ChildResolvesCodeWhileAnotherThreadLocatesCode) {
  if (!SupportsFork()) GTEST_SKIP() << "no fork on this platform";
  absl::StatusOr<CodeLocation> where = LocateCode(reinterpret_cast<const void*>(&NamedFunction));
  ASSERT_TRUE(where.ok()) << where.status();
  std::atomic<bool> stop{false};
  std::thread searcher([&] {
    while (!stop.load()) (void)LocateCode(reinterpret_cast<const void*>(&NamedFunction));
  });
  int hung = 0, failed = 0;
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<ChildProcess> child =
        ForkAndRun([&where] { return ResolveCode(*where).ok() ? 0 : 1; }, true);
    ASSERT_TRUE(child.ok()) << child.status();
    absl::StatusOr<std::optional<ExitStatus>> status = child->Wait(absl::Seconds(5));
    ASSERT_TRUE(status.ok()) << status.status();
    if (!status->has_value()) {
      ++hung;
      (void)child->Kill();
      (void)child->Wait(absl::Seconds(10));
      break;  // one is proof enough; the rest would each wait out the timeout
    } else if ((*status)->python_exitcode() != 0) {
      ++failed;
    }
  }
  stop = true;
  searcher.join();
  EXPECT_EQ(hung, 0) << "fork children hung resolving code";
  EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace multiproc::platform
