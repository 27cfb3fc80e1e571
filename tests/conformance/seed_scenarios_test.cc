// The scenarios of the seed notes (shared/seeds) that concern processes, replayed under every
// start method: 1 (seed 003: threads share a list, processes each get a copy), 5 (seed 002:
// zombies are reaped by join/active_children), 6 (seed 000: copy-on-write and shared arrays
// cost children no private memory) and 7 (seed 002: the main guard).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "platform/memory_usage.h"
#include "platform/process.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

using testing::MakeReportPipe;
using testing::ReceiveAll;
using testing::Send;

class SeedScenario : public testing::StartMethodTest {};
MULTIPROC_FOR_EVERY_START_METHOD(SeedScenario);

// Seed 003's `nums = []`, a plain global list.
std::vector<int> nums;
std::mutex nums_mutex;

void AppendThreeTimes(int i) {
  for (int x = 0; x < 3; ++x) {
    std::lock_guard<std::mutex> lock(nums_mutex);
    nums.push_back(i);
  }
}

void AppendThreeTimesAndReport(int i, platform::OwnedHandle report) {
  AppendThreeTimes(i);
  Send(report, absl::StrCat(i, ":", nums.size(), ";"));
}

// Scenario 1: threads append to one list (9 items); processes each append to their own copy
// (each sees its 3 items) and the parent's list stays [].
TEST_P(SeedScenario, ThreadsShareAListProcessesEachGetACopy) {
  nums.clear();
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back(AppendThreeTimes, i);
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(nums.size(), 9u) << "threads share the list";

  nums.clear();
  testing::ReportPipe pipe = MakeReportPipe();
  std::vector<Process> children;
  for (int i = 0; i < 3; ++i) {
    platform::OwnedHandle writer(pipe.writer.Duplicate().value());
    children.push_back(MakeProcess(AppendThreeTimesAndReport, i, std::move(writer)));
    children.back().start();
  }
  pipe.writer.reset();
  std::string reports = ReceiveAll(pipe.reader);
  for (Process& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(reports.find(absl::StrCat(i, ":3;")), std::string::npos)
        << "each process sees only its own 3 items: " << reports;
  }
  EXPECT_TRUE(nums.empty()) << "the parent's list is untouched: []";
}

void ExitAtOnce() {}

// /proc/PID/stat's state letter, or 0 when the pid no longer exists (Linux only).
char ProcessState(ProcessId pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return 0;
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() ? line[close + 2] : '?';
}

// True where /proc describes this process's own pids (Linux). Under Wine, /proc reaches the host's
// procfs through drive Z:, but its pids are not Windows pids, so the check compares them.
bool HasProcfs() {
  std::ifstream stat("/proc/self/stat");
  ProcessId pid = 0;
  return static_cast<bool>(stat >> pid) && pid == platform::CurrentProcessId();
}

// Scenario 5: a finished child nobody joined is a zombie until active_children() reaps it.
TEST_P(SeedScenario, ActiveChildrenReapsAFinishedChild) {
  Process child = MakeProcess(ExitAtOnce);
  child.start();
  ProcessId pid = *child.pid();
  absl::StatusOr<bool> ended = platform::WaitForSentinel(child.sentinel(), absl::Seconds(30));
  ASSERT_TRUE(ended.ok() && *ended);
  // A forkserver child is the server's to reap; the server reaps at once and reports.
  bool direct_child = GetParam() != "forkserver";
  if (HasProcfs() && direct_child) {
    EXPECT_EQ(ProcessState(pid), 'Z') << "an unjoined finished child is a zombie";
  }
  for (const Process& running : active_children()) EXPECT_NE(*running.pid(), pid);
  EXPECT_EQ(child.exitcode(), 0) << "active_children() collected the exit status";
  if (HasProcfs()) {
    EXPECT_EQ(ProcessState(pid), 0) << "no zombie left after active_children()";
  }
}

TEST_P(SeedScenario, JoinReapsTheChild) {
  Process child = MakeProcess(ExitAtOnce);
  child.start();
  ProcessId pid = *child.pid();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  if (HasProcfs()) {
    // The forkserver reaps asynchronously; give it a moment before looking.
    for (int i = 0; i < 100 && ProcessState(pid) != 0; ++i) absl::SleepFor(absl::Milliseconds(10));
    EXPECT_EQ(ProcessState(pid), 0) << "no zombie left after join()";
  }
}

TEST_P(SeedScenario, ActiveChildrenListsRunningChildren) {
  Process child = MakeProcess(+[] { absl::SleepFor(absl::Seconds(60)); });
  child.start();
  std::vector<Process> running = active_children();
  bool listed = false;
  for (const Process& process : running) listed |= process.pid() == child.pid();
  EXPECT_TRUE(listed);
  child.kill();
  child.join();
  for (const Process& process : active_children()) EXPECT_NE(process.pid(), child.pid());
}

// Scenario 6 (seed 000). CPython's children copy the pages of objects they merely read, because
// reading touches reference counts; C++ reads leave pages shared, so a child adds only the few
// pages of its own stack and heap. Children report "<growth of the buffer's private bytes>
// <checksum>".
constexpr size_t kInheritedBytes = size_t{512} << 20;
constexpr int64_t kMaxPrivateGrowth = int64_t{32} << 20;
const uint64_t* inherited_buffer = nullptr;  // set in the parent before fork

uint64_t Checksum(const uint64_t* words, size_t count) {
  uint64_t sum = 0;
  for (size_t i = 0; i < count; ++i) sum += words[i];
  return sum;
}

// The private bytes of the mappings holding a buffer; 0 where the system does not tell
// (Windows): the parent then skips the private-memory assertions.
int64_t PrivateBytesOrZero(const void* data, size_t size) {
  return static_cast<int64_t>(platform::PrivateBytesOf(data, size).value_or(0));
}

bool MeasuresPrivateBytes() {
  uint64_t probe = 0;
  return platform::PrivateBytesOf(&probe, sizeof(probe)).ok();
}

void ReadInheritedBuffer(platform::OwnedHandle report) {
  int64_t before = PrivateBytesOrZero(inherited_buffer, kInheritedBytes);
  uint64_t sum = Checksum(inherited_buffer, kInheritedBytes / sizeof(uint64_t));
  Send(report,
       absl::StrCat(PrivateBytesOrZero(inherited_buffer, kInheritedBytes) - before, " ", sum, ";"));
}

// Parses "<growth> <checksum>;" reports.
std::vector<std::pair<int64_t, uint64_t>> ParseUsageReports(const std::string& text) {
  std::vector<std::pair<int64_t, uint64_t>> reports;
  for (size_t start = 0, end; (end = text.find(';', start)) != std::string::npos; start = end + 1) {
    long long growth = 0;
    unsigned long long sum = 0;
    if (std::sscanf(text.substr(start, end - start).c_str(), "%lld %llu", &growth, &sum) == 2) {
      reports.emplace_back(growth, sum);
    }
  }
  return reports;
}

TEST_P(SeedScenario, ForkChildrenReadingAnInheritedBufferAddNoPrivateMemory) {
  if (!IsFork()) GTEST_SKIP() << "only fork children inherit the parent's memory";
  if (!MeasuresPrivateBytes()) GTEST_SKIP() << "no per-mapping page counts here (/proc)";
  auto buffer = std::make_unique<uint64_t[]>(kInheritedBytes / sizeof(uint64_t));
  for (size_t i = 0; i < kInheritedBytes / sizeof(uint64_t); ++i) buffer[i] = i;
  inherited_buffer = buffer.get();
  uint64_t expected = Checksum(buffer.get(), kInheritedBytes / sizeof(uint64_t));
  testing::ReportPipe pipe = MakeReportPipe();
  std::vector<Process> children;
  for (int i = 0; i < 2; ++i) {  // the seed's Pool(2)
    children.push_back(MakeProcess(ReadInheritedBuffer, pipe.writer.Duplicate().value()));
    children.back().start();
  }
  pipe.writer.reset();
  auto reports = ParseUsageReports(ReceiveAll(pipe.reader));
  for (Process& child : children) child.join();
  ASSERT_EQ(reports.size(), 2u);
  for (const auto& [growth, sum] : reports) {
    EXPECT_EQ(sum, expected) << "the child read the whole inherited buffer";
    EXPECT_LT(growth, kMaxPrivateGrowth) << "reading copied pages: " << growth << " bytes";
  }
}

// Reads the whole array and writes one element per page, then reports (a growth of 0 where the
// system does not measure private pages: Windows; the parent checks the sharing itself there).
void ReadAndWriteSharedArray(RawArray<uint64_t> array, platform::OwnedHandle report) {
  const size_t bytes = array.size() * sizeof(uint64_t);
  int64_t before = PrivateBytesOrZero(array.data(), bytes);
  uint64_t sum = Checksum(array.data(), array.size());
  for (size_t i = 0; i < array.size(); i += 512) array[i] = 7;
  Send(report, absl::StrCat(PrivateBytesOrZero(array.data(), bytes) - before, " ", sum, ";"));
}

TEST_P(SeedScenario, ASharedRawArrayIsNeverDuplicated) {
  constexpr size_t kCount = (size_t{128} << 20) / sizeof(uint64_t);
  RawArray<uint64_t> array(kCount);
  for (size_t i = 0; i < kCount; ++i) array[i] = i;
  uint64_t expected = Checksum(array.data(), kCount);
  testing::ReportPipe pipe = MakeReportPipe();
  Process child = MakeProcess(ReadAndWriteSharedArray, array, std::move(pipe.writer));
  child.start();
  auto reports = ParseUsageReports(ReceiveAll(pipe.reader));
  child.join();
  ASSERT_EQ(child.exitcode(), 0);
  for (size_t i = 0; i < kCount; i += 512) ASSERT_EQ(array[i], 7u) << "the child's write at " << i;
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].second, expected);
  if (MeasuresPrivateBytes()) {
    EXPECT_LT(reports[0].first, kMaxPrivateGrowth) << "the array was copied into the child";
  } else {
    RecordProperty("private_memory",
                   "not measured here (no per-mapping page counts); sharing checked by the writes");
  }
}

// Scenario 7: a spawned child runs main() only up to main_guard (conformance_main returns 99 if
// it ever gets past it), and a program without the guard gets BootstrapError, not a fork bomb.
TEST_P(SeedScenario, SpawnedChildDoesNotRunMainPastTheGuard) {
  if (IsFork()) GTEST_SKIP() << "fork children do not run main() at all";
  Process child = MakeProcess(ExitAtOnce);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(SeedScenario, ForgottenMainGuardIsABootstrapErrorNotAForkBomb) {
  absl::StatusOr<std::string> self = platform::CurrentExecutablePath();
  ASSERT_TRUE(self.ok());
  platform::LaunchSpec spec;
  spec.executable =
      std::filesystem::path(*self).replace_filename(MULTIPROC_NO_GUARD_PROGRAM_NAME).string();
  spec.arguments = {GetParam()};
  spec.kill_when_parent_dies = true;
  absl::StatusOr<platform::ChildProcess> program = platform::Launch(spec);
  ASSERT_TRUE(program.ok()) << program.status();
  absl::StatusOr<std::optional<platform::ExitStatus>> status = program->Wait(absl::Seconds(60));
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_TRUE(status->has_value()) << "the program without a guard hung";
  EXPECT_EQ((*status)->python_exitcode(), 0)
      << "see no_guard_program.cc for what each exit code means";
}

}  // namespace
}  // namespace multiproc
