// Process behaviours as Python defines them, under every start method.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "platform/sanitizers.h"
#include "platform/shared_memory.h"
#include "platform/wait.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

using testing::MakeReportPipe;
using testing::ReceiveAll;
using testing::RunOnAThreadThatEnds;
using testing::Send;

class ProcessConformance : public testing::StartMethodTest {};
MULTIPROC_FOR_EVERY_START_METHOD(ProcessConformance);

void ReturnNormally() {}
void ExitWithSeven() { multiproc::exit(7); }
void ThrowRuntimeError() { throw std::runtime_error("target failed on purpose"); }
void SleepLong() { absl::SleepFor(absl::Seconds(60)); }

TEST_P(ProcessConformance, NormalReturnGivesExitCodeZero) {
  Process child = MakeProcess(ReturnNormally);
  EXPECT_FALSE(child.exitcode().has_value());
  EXPECT_FALSE(child.pid().has_value());
  child.start();
  EXPECT_TRUE(child.pid().has_value());
  EXPECT_NE(*child.pid(), platform::CurrentProcessId());
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_FALSE(child.is_alive());
}

TEST_P(ProcessConformance, ExitCodeComesFromMultiprocExit) {
  Process child = MakeProcess(ExitWithSeven);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 7);
}

TEST_P(ProcessConformance, UncaughtExceptionGivesExitCodeOne) {
  Process child = MakeProcess(ThrowRuntimeError);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 1);
}

TEST_P(ProcessConformance, TerminateGivesMinus15) {
  Process child = MakeProcess(SleepLong);
  child.start();
  EXPECT_TRUE(child.is_alive());
  child.terminate();
  child.join();
  EXPECT_EQ(child.exitcode(), -15);
}

TEST_P(ProcessConformance, KillGivesMinus9) {
  Process child = MakeProcess(SleepLong);
  child.start();
  child.kill();
  child.join();
  EXPECT_EQ(child.exitcode(), -9);
}

TEST_P(ProcessConformance, JoinWithTimeoutReturnsWhileTheChildRuns) {
  Process child = MakeProcess(SleepLong);
  child.start();
  child.join(absl::Milliseconds(100));
  EXPECT_FALSE(child.exitcode().has_value());
  EXPECT_TRUE(child.is_alive());
  child.kill();
  child.join();
}

TEST_P(ProcessConformance, KillingAChildRightAfterStartDoesNotHang) {
  Process child = MakeProcess(ReturnNormally);
  child.start();
  child.kill();
  child.join();
  EXPECT_TRUE(child.exitcode() == -9 || child.exitcode() == 0) << *child.exitcode();
}

struct Record {
  int id = 0;
  std::string label;
  template <typename Archive>
  void serialize(Archive& archive) {
    archive(id, label);
  }
};

void DescribeArguments(int number, const std::string& text, std::vector<double> values,
                       std::map<std::string, int> counts, Record record,
                       platform::OwnedHandle report) {
  Send(report, absl::StrCat(number, "|", text, "|", absl::StrJoin(values, ","), "|", counts.size(),
                            counts["b"], "|", record.id, record.label));
}

TEST_P(ProcessConformance, ArgumentsArriveConvertedToTheParameterTypes) {
  testing::ReportPipe pipe = MakeReportPipe();
  Process child = MakeProcess(
      DescribeArguments, 42, "text with spaces", std::vector<double>{1.5, -2},
      std::map<std::string, int>{{"a", 1}, {"b", 2}}, Record{7, "seven"}, std::move(pipe.writer));
  child.start();
  EXPECT_EQ(ReceiveAll(pipe.reader), "42|text with spaces|1.5,-2|22|7seven");
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

void WriteIntoRegion(platform::SharedMemory region) {
  std::memcpy(region.data(), "written by child", 16);
}

TEST_P(ProcessConformance, SharedMemoryArgumentIsSharedNotCopied) {
  absl::StatusOr<platform::SharedMemory> region = platform::SharedMemory::CreateUnnamed(4096);
  ASSERT_TRUE(region.ok()) << region.status();
  platform::OwnedHandle borrowed(region->handle());
  absl::StatusOr<platform::OwnedHandle> handle = borrowed.Duplicate();
  borrowed.release();
  ASSERT_TRUE(handle.ok());
  absl::StatusOr<platform::SharedMemory> second =
      platform::SharedMemory::FromHandle(std::move(*handle), 4096);
  ASSERT_TRUE(second.ok());
  Process child = MakeProcess(WriteIntoRegion, std::move(*second));
  child.start();
  child.join();
  ASSERT_EQ(child.exitcode(), 0);
  EXPECT_EQ(std::string(static_cast<const char*>(region->data()), 16), "written by child");
}

void DescribeSelf(platform::OwnedHandle report) {
  ProcessInfo self = current_process();
  std::optional<ParentProcessInfo> parent = parent_process();
  Send(report, absl::StrCat(self.name, "|", self.pid == platform::CurrentProcessId(), "|",
                            parent.has_value() ? parent->pid : -1, "|", self.daemon, "|",
                            self.authkey.size(), "|", self.authkey));
}

TEST_P(ProcessConformance, ChildKnowsItsNameParentDaemonFlagAndAuthkey) {
  testing::ReportPipe pipe = MakeReportPipe();
  Process child = MakeProcess(DescribeSelf, std::move(pipe.writer));
  child.set_name("worker-7");
  child.set_daemon(true);
  child.start();
  std::string described = ReceiveAll(pipe.reader);
  child.join();
  ProcessInfo self = current_process();
  EXPECT_EQ(self.name, "MainProcess");
  EXPECT_EQ(self.authkey.size(), 32u);
  EXPECT_EQ(described,
            absl::StrCat("worker-7|1|", platform::CurrentProcessId(), "|1|32|", self.authkey));
  EXPECT_FALSE(parent_process().has_value());
}

// Where a child's exit handler reports; set by the target before it registers the handler.
platform::OwnedHandle exit_handler_report;
void ReportFromExitHandler() { Send(exit_handler_report, "exit handler ran"); }

void RegisterExitHandlerThenReturn(platform::OwnedHandle report) {
  exit_handler_report = std::move(report);
  std::atexit(ReportFromExitHandler);
}

void RegisterExitHandlerThenExitWithThree(platform::OwnedHandle report) {
  RegisterExitHandlerThenReturn(std::move(report));
  multiproc::exit(3);
}

void RegisterExitHandlerThenSleep(platform::OwnedHandle report, Event registered) {
  RegisterExitHandlerThenReturn(std::move(report));
  registered.set();
  absl::SleepFor(absl::Seconds(60));
}

// CPython runs the atexit handlers a child registered under every start method (since 3.12,
// gh-83856), when the child ends normally or by sys.exit, and not when it is killed.
TEST_P(ProcessConformance, ExitHandlersAChildRegisteredRunWhenItEnds) {
  for (auto target : {RegisterExitHandlerThenReturn, RegisterExitHandlerThenExitWithThree}) {
    testing::ReportPipe pipe = MakeReportPipe();
    Process child = MakeProcess(target, std::move(pipe.writer));
    child.start();
    EXPECT_EQ(ReceiveAll(pipe.reader), "exit handler ran");
    child.join();
    EXPECT_EQ(child.exitcode(), target == RegisterExitHandlerThenReturn ? 0 : 3);
  }
}

TEST_P(ProcessConformance, ExitHandlersOfAKilledChildDoNotRun) {
  testing::ReportPipe pipe = MakeReportPipe();
  Event registered;
  Process child = MakeProcess(RegisterExitHandlerThenSleep, std::move(pipe.writer), registered);
  child.start();
  ASSERT_TRUE(registered.wait(absl::Seconds(30)));
  child.kill();
  EXPECT_EQ(ReceiveAll(pipe.reader), "");
  child.join();
  EXPECT_EQ(child.exitcode(), -9);
}

// Counts runs of the handler the test process registers for itself; shared, so that a fork child
// running its inherited copy would show.
Value<int>& ParentHandlerRuns() {
  static auto* runs = new Value<int>(0);
  return *runs;
}
void CountParentHandlerRun() { ParentHandlerRuns().set(ParentHandlerRuns().get() + 1); }

TEST_P(ProcessConformance, ExitHandlersOfTheParentDoNotRunInTheChild) {
  static const bool registered = std::atexit(CountParentHandlerRun) == 0;
  ASSERT_TRUE(registered);
  ParentHandlerRuns().set(0);
  Process child = MakeProcess(ReturnNormally);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(ParentHandlerRuns().get(), 0);
}

void ReportStartMethod(platform::OwnedHandle report) { Send(report, get_start_method()); }

// As in Python, a child's default start method is its parent's (not the platform's default,
// and not the method that started it), so the child's own children start the same way.
TEST_P(ProcessConformance, ChildKeepsItsParentsDefaultStartMethod) {
  const std::string before = get_start_method();
  std::string chosen = "spawn";
  for (const std::string& method : get_all_start_methods()) {
    if (method != GetParam() && method != before) chosen = method;
  }
  set_start_method(chosen, /*force=*/true);
  testing::ReportPipe pipe = MakeReportPipe();
  Process child = MakeProcess(ReportStartMethod, std::move(pipe.writer));
  child.start();
  std::string reported = ReceiveAll(pipe.reader);
  child.join();
  set_start_method(before, /*force=*/true);
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(reported, chosen);
}

// The forkserver is launched asking the loader to bind every symbol at load (so that the children
// it forks need not), and must take that request back before forking: a child's environment is
// its parent's, as under every other start method.
void ReportBindNowVariable(platform::OwnedHandle report) {
  const char* value = std::getenv("LD_BIND_NOW");
  Send(report, value == nullptr ? "(unset)" : value);
}

TEST_P(ProcessConformance, ChildEnvironmentIsItsParents) {
  const char* ours = std::getenv("LD_BIND_NOW");
  testing::ReportPipe pipe = MakeReportPipe();
  Process child = MakeProcess(ReportBindNowVariable, std::move(pipe.writer));
  child.start();
  EXPECT_EQ(ReceiveAll(pipe.reader), ours == nullptr ? "(unset)" : ours);
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(ProcessConformance, ChildrenAreNamedInStartOrder) {
  Process first = MakeProcess(ReturnNormally);
  Process second = MakeProcess(ReturnNormally);
  int first_number = 0, second_number = 0;
  ASSERT_EQ(std::sscanf(first.name().c_str(), "Process-%d", &first_number), 1) << first.name();
  ASSERT_EQ(std::sscanf(second.name().c_str(), "Process-%d", &second_number), 1);
  EXPECT_EQ(second_number, first_number + 1);
}

// Python's sentinel stays ready once the process ended, also after join() collected its status
// (a forkserver child's sentinel is a report pipe, so this is not automatic there).
TEST_P(ProcessConformance, TheSentinelStaysReadyAfterJoin) {
  Process child = MakeProcess(ReturnNormally);
  child.start();
  child.join();
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::vector<size_t>> ready =
        platform::WaitForAny({child.sentinel()}, absl::ZeroDuration());
    ASSERT_TRUE(ready.ok()) << ready.status();
    EXPECT_EQ(ready->size(), 1u) << "after join, check " << i;
  }
}

TEST_P(ProcessConformance, MisuseRaisesPythonsErrors) {
  Process child = MakeProcess(ReturnNormally);
  EXPECT_THROW(child.join(), ProcessError) << "join before start";
  EXPECT_THROW(child.sentinel(), ValueError);
  child.start();
  EXPECT_THROW(child.start(), ProcessError) << "start twice";
  EXPECT_THROW(child.set_daemon(true), ProcessError);
  child.join();
  child.close();
  EXPECT_THROW(child.is_alive(), ValueError) << "use after close";
  EXPECT_THROW(child.start(), ValueError);
}

TEST_P(ProcessConformance, CloseWhileRunningIsValueError) {
  Process child = MakeProcess(SleepLong);
  child.start();
  EXPECT_THROW(child.close(), ValueError);
  child.kill();
  child.join();
  child.close();
}

TEST_P(ProcessConformance, CapturelessLambdaIsATravellingTarget) {
  testing::ReportPipe pipe = MakeReportPipe();
  Process child = MakeProcess(
      [](int base, platform::OwnedHandle report) { Send(report, absl::StrCat(base * 2)); }, 21,
      std::move(pipe.writer));
  child.start();
  EXPECT_EQ(ReceiveAll(pipe.reader), "42");
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(ProcessConformance, CapturingLambdaRunsUnderForkOnly) {
  testing::ReportPipe pipe = MakeReportPipe();
  std::string captured = "captured state";
  auto* writer = &pipe.writer;
  Process child = MakeProcess([captured, writer] { Send(*writer, captured); });
  if (!IsFork()) {
    EXPECT_THROW(child.start(), SerializationError);
    return;
  }
  child.start();
  pipe.writer.reset();
  EXPECT_EQ(ReceiveAll(pipe.reader), "captured state");
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

// A generic lambda captures nothing, yet cannot travel (it has no one function to point at): the
// error must say so, not call it a capturing lambda.
TEST_P(ProcessConformance, AGenericLambdaIsRefusedWithItsRealCause) {
  Process child = MakeProcess([](auto value) { (void)value; }, 1);
  if (IsFork()) {
    child.start();
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
    return;
  }
  try {
    child.start();
    ADD_FAILURE() << "a generic lambda started under " << GetParam();
  } catch (const SerializationError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("generic"), std::string::npos) << message;
    EXPECT_NE(message.find("pass a plain function or a non-generic capture-less lambda"),
              std::string::npos)
        << message;
  }
}

void ReportDescriptorsThenWait(platform::OwnedHandle report, Event done) {
  Send(report, absl::StrCat(testing::OpenDescriptorCount()));
  report.reset();
  done.wait(absl::Seconds(30));
}

// CPython's test_child_fd_inflation: a forkserver child must not inherit the server's handles on
// its running siblings, so its descriptor count does not grow with their number.
TEST_P(ProcessConformance, ForkserverChildrenDoNotInheritTheirSiblings) {
  if (GetParam() != "forkserver") {
    GTEST_SKIP() << "only forkserver children come from a server holding their siblings";
  }
  Event done;
  std::vector<Process> children;
  std::vector<std::string> counts;
  for (int i = 0; i < 5; ++i) {
    testing::ReportPipe pipe = MakeReportPipe();
    children.push_back(MakeProcess(ReportDescriptorsThenWait, std::move(pipe.writer), done));
    children.back().start();
    counts.push_back(ReceiveAll(pipe.reader));
  }
  done.set();
  for (Process& child : children) {
    child.join(absl::Seconds(30));
    EXPECT_EQ(child.exitcode(), 0);
  }
  EXPECT_EQ(std::set<std::string>(counts.begin(), counts.end()).size(), 1u)
      << "descriptor counts of children started beside 0..4 siblings: "
      << absl::StrJoin(counts, ", ");
}

void ReportFromGrandchild(platform::OwnedHandle report) { Send(report, "grandchild ran"); }

// Exit code 4: the daemon's new Process was not a daemon by default, as Python makes it.
void StartChildOfDaemon(std::string method, platform::OwnedHandle report) {
  Process grandchild = get_context(method).process(ReportFromGrandchild, std::move(report));
  if (!grandchild.daemon()) multiproc::exit(4);
  grandchild.start();
  grandchild.join();
  if (grandchild.exitcode() != 0) multiproc::exit(3);
}

// Python raises "daemonic processes are not allowed to have children"; multiproc allows it
// (its daemons die with their parent however it dies, so nothing is left orphaned). As in Python,
// a Process made inside a daemon is a daemon unless set otherwise.
TEST_P(ProcessConformance, DaemonChildMayHaveChildren) {
  EXPECT_FALSE(MakeProcess(ReturnNormally).daemon()) << "the main process is no daemon";
  testing::ReportPipe pipe = MakeReportPipe();
  Process daemon = MakeProcess(StartChildOfDaemon, GetParam(), std::move(pipe.writer));
  daemon.set_daemon(true);
  daemon.start();
  EXPECT_EQ(ReceiveAll(pipe.reader), "grandchild ran");
  daemon.join();
  EXPECT_EQ(daemon.exitcode(), 0) << "4: the daemon's child did not default to daemon";
}

void HoldPipeOpen(platform::OwnedHandle pipe_end) {
  Send(pipe_end, "1");
  absl::SleepFor(absl::Seconds(60));
}

void StartDaemonHolder(std::string method, platform::OwnedHandle pipe_end) {
  Process holder = get_context(method).process(HoldPipeOpen, std::move(pipe_end));
  holder.set_daemon(true);
  holder.start();
  absl::SleepFor(absl::Seconds(60));
}

// A daemon grandchild must die with its parent, however the parent dies (here: SIGKILL, which
// runs no cleanup code at all). The grandchild holds a pipe; its end of stream proves its death.
TEST_P(ProcessConformance, DaemonChildDiesWhenItsParentIsKilled) {
  testing::ReportPipe pipe = MakeReportPipe();
  Process parent = MakeProcess(StartDaemonHolder, GetParam(), std::move(pipe.writer));
  parent.start();
  std::byte hello[1];
  ASSERT_TRUE(platform::ReadExact(pipe.reader.get(), hello).ok()) << "the holder never started";
  parent.kill();
  parent.join();
  absl::StatusOr<bool> ended = platform::WaitReadable(pipe.reader.get(), absl::Seconds(10));
  ASSERT_TRUE(ended.ok()) << ended.status();
  ASSERT_TRUE(*ended) << "the daemon grandchild outlived its parent by 10 s";
  absl::StatusOr<size_t> got = platform::ReadSome(pipe.reader.get(), hello);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 0u);
}

void WaitForReleaseUpToAMinute(Event release) { release.wait(absl::Seconds(60)); }

int Square(int value) { return value * value; }

void CountStart(Value<int> starts) {
  std::lock_guard hold(starts.get_lock());
  starts.set(starts.get() + 1);
}

// Children that die with their parent (daemons, Pool workers, a manager's server, the forkserver)
// must die with the parent *process*, not with the thread that started them: Linux's
// PR_SET_PDEATHSIG follows the thread. Each is started from a std::thread that then ends.
TEST_P(ProcessConformance, ADaemonStartedFromAThreadOutlivesTheThread) {
  Event release;
  std::optional<Process> daemon;
  RunOnAThreadThatEnds([&] {
    daemon.emplace(MakeProcess(WaitForReleaseUpToAMinute, release));
    daemon->set_daemon(true);
    daemon->start();
  });
  daemon->join(absl::Milliseconds(500));  // a killed daemon ends well within this
  EXPECT_TRUE(daemon->is_alive()) << "died with the thread that started it, exitcode "
                                  << daemon->exitcode().value_or(0);
  release.set();
  daemon->join(absl::Seconds(30));
  EXPECT_EQ(daemon->exitcode(), 0);
}

TEST_P(ProcessConformance, APoolStartedFromAThreadOutlivesTheThread) {
  Value<int> worker_starts(0);
  std::optional<Pool> pool;
  RunOnAThreadThatEnds([&] {
    pool.emplace(PoolOptions().processes(2).start_method(GetParam()), CountStart, worker_starts);
    // Both workers running before the thread ends: a death after this would start a third.
    ASSERT_TRUE(testing::HoldsWithin([&] { return worker_starts.get() == 2; }, absl::Seconds(20)));
  });
  EXPECT_EQ(pool->map(Square, std::vector<int>{1, 2, 3, 4}), (std::vector<int>{1, 4, 9, 16}));
  EXPECT_EQ(worker_starts.get(), 2) << "workers died with the thread and were replaced";
}

TEST_P(ProcessConformance, AManagerStartedFromAThreadOutlivesTheThread) {
  if (platform::kThreadSanitizer && GetParam() == "fork") {
    GTEST_SKIP() << "ThreadSanitizer ends a child forked from a multi-threaded process once it "
                    "starts a thread, as the manager's server does";
  }
  std::optional<SyncManager> manager;
  RunOnAThreadThatEnds([&] {
    manager.emplace("", std::nullopt, GetParam());
    manager->start();
  });
  manager->process()->join(absl::Milliseconds(500));  // a killed server ends well within this
  ASSERT_TRUE(manager->process()->is_alive()) << "the manager's server died with the thread";
  DictProxy<std::string, int> dict = manager->dict<std::string, int>();
  dict.set("alive", 1);
  EXPECT_EQ(dict.get("alive"), 1);
  manager->shutdown();
}

}  // namespace
}  // namespace multiproc
