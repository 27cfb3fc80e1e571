// POSIX only (Linux): see resource_tracker.h. A process's tracker is its grandchild (the child in
// between exits at once), so it is never the process's zombie nor one of its multiproc children.
// They talk over a SOCK_SEQPACKET socket pair, one record per message; the tracker reads
// end-of-stream once the process's end is closed, which happens when the process ends, however it
// ends.
#include "platform/resource_tracker.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "platform/posix/descriptors.h"
#include "platform/process.h"

namespace multiproc::platform {

namespace {

// Records: "<kind> <inode> <name>" tracks a name, "U <name>" forgets it. Kinds: M named shared
// memory, S a socket file, D a directory. Names have at most 200 bytes, socket paths 107.
constexpr size_t kLongestRecord = 256;

// The inode tells a tracked name from the same name removed and made again by someone else.
struct TrackedName {
  char kind;
  std::string name;
  ino_t inode;
};

std::string ShmPath(absl::string_view name) { return absl::StrCat("/", name); }

// The inode `name` has now, or 0 when there is no such name.
ino_t InodeOfName(const std::string& name) {
  int descriptor = ::shm_open(ShmPath(name).c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (descriptor < 0) return 0;
  struct stat info {};
  bool known = ::fstat(descriptor, &info) == 0;
  ::close(descriptor);
  return known ? info.st_ino : 0;
}

// The inode of the file at `path` when it is of `type` (S_IFSOCK, S_IFDIR), else 0.
ino_t InodeOfPath(const std::string& path, mode_t type) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || (info.st_mode & S_IFMT) != type) return 0;
  return info.st_ino;
}

void Remove(const TrackedName& entry) {
  switch (entry.kind) {
    case 'M':
      if (InodeOfName(entry.name) == entry.inode) ::shm_unlink(ShmPath(entry.name).c_str());
      break;
    case 'S':
      if (InodeOfPath(entry.name, S_IFSOCK) == entry.inode) ::unlink(entry.name.c_str());
      break;
    case 'D':
      if (InodeOfPath(entry.name, S_IFDIR) == entry.inode) ::rmdir(entry.name.c_str());
      break;
  }
}

void ApplyRecord(absl::string_view record, std::vector<TrackedName>& tracked) {
  if (absl::ConsumePrefix(&record, "U ")) {
    std::erase_if(tracked, [record](const TrackedName& entry) { return entry.name == record; });
    return;
  }
  if (record.size() < 2 || record[1] != ' ') return;
  char kind = record[0];
  record.remove_prefix(2);
  size_t space = record.find(' ');
  uint64_t inode = 0;
  if (space == absl::string_view::npos || !absl::SimpleAtoi(record.substr(0, space), &inode)) {
    return;
  }
  tracked.push_back({kind, std::string(record.substr(space + 1)), static_cast<ino_t>(inode)});
}

// The tracker holds nothing of its creator's but its end of the connection, as descriptor 0: a
// pipe end it kept open would keep the pipe's reader waiting for end-of-stream.
void KeepOnlyConnection(int connection) {
  if (connection != 0) ::dup2(connection, 0);
  SweepDescriptorsFrom(1, Sweep::kClose);
}

// Runs in a fork of a possibly multi-threaded process: system calls and malloc (which glibc makes
// safe after fork) only. In a session of its own and deaf to SIGINT and SIGTERM, as CPython's
// tracker, so a Ctrl-C or a signal to the creator's process group does not end it before it
// cleans up. Removes the newest first, so a directory goes after the files made in it.
[[noreturn]] void RunTracker(int connection) {
  KeepOnlyConnection(connection);
  ::setsid();
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::prctl(PR_SET_NAME, "multiproc-track");
  std::vector<TrackedName> tracked;
  char record[kLongestRecord];
  for (;;) {
    ssize_t got = ::recv(0, record, sizeof(record), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    ApplyRecord(absl::string_view(record, static_cast<size_t>(got)), tracked);
  }
  for (auto entry = tracked.rbegin(); entry != tracked.rend(); ++entry) Remove(*entry);
  ExitImmediately(0);
}

// This process's end of its tracker's connection (-1 before its first tracked name), guarded by
// tracker_mutex. Every fork takes the mutex, so that no child starts with it locked.
std::mutex tracker_mutex;
int tracker_connection = -1;

// A fork child gets a tracker of its own when it tracks a name: holding the parent's connection
// would keep the parent's tracker waiting for the child too.
void ForgetTrackerInChild() {
  if (tracker_connection >= 0) ::close(tracker_connection);
  tracker_connection = -1;
  tracker_mutex.unlock();
}

std::unique_lock<std::mutex> LockTracker() {
  static const int registered = ::pthread_atfork(
      [] { tracker_mutex.lock(); }, [] { tracker_mutex.unlock(); }, ForgetTrackerInChild);
  (void)registered;  // without the handlers a fork child shares its parent's tracker: later cleanup
  return std::unique_lock<std::mutex>(tracker_mutex);
}

// Called without tracker_mutex: the fork takes it. A fork by another thread before the caller
// installs the connection gives that child a copy of it, which only delays the cleanup until
// that child ends too.
absl::StatusOr<int> StartTracker() {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) < 0) {
    return absl::ErrnoToStatus(errno, "socketpair for the resource tracker");
  }
  pid_t between = ::fork();
  if (between == 0) {
    if (::fork() == 0) RunTracker(ends[1]);
    ExitImmediately(0);
  }
  int fork_error = errno;
  ::close(ends[1]);
  if (between < 0) {
    ::close(ends[0]);
    return absl::ErrnoToStatus(fork_error, "fork of the resource tracker");
  }
  while (::waitpid(between, nullptr, 0) < 0 && errno == EINTR) {
  }
  return ends[0];
}

// With tracker_mutex held. A tracker that is gone (killed, or never started) is dropped, so that
// the next Track* call starts a new one.
absl::Status SendRecord(const std::string& record) {
  while (::send(tracker_connection, record.data(), record.size(), MSG_NOSIGNAL) < 0) {
    if (errno == EINTR) continue;
    absl::Status status = absl::ErrnoToStatus(errno, "writing to the resource tracker");
    ::close(tracker_connection);
    tracker_connection = -1;
    return status;
  }
  return absl::OkStatus();
}

// Sends a record, starting this process's tracker first if it has none.
absl::Status Track(const std::string& record) {
  {
    std::unique_lock<std::mutex> lock = LockTracker();
    if (tracker_connection >= 0 && SendRecord(record).ok()) return absl::OkStatus();
  }
  absl::StatusOr<int> started = StartTracker();
  if (!started.ok()) return started.status();
  std::unique_lock<std::mutex> lock = LockTracker();
  if (tracker_connection >= 0) {
    ::close(*started);  // another thread started one meanwhile; this one ends with nothing to do
  } else {
    tracker_connection = *started;
  }
  return SendRecord(record);
}

absl::Status TrackPath(char kind, absl::string_view path, mode_t type) {
  ino_t inode = InodeOfPath(std::string(path), type);
  if (inode == 0) return absl::NotFoundError(absl::StrCat("nothing of that type at ", path));
  return Track(absl::StrCat(std::string(1, kind), " ", inode, " ", path));
}

}  // namespace

absl::Status TrackNamedSharedMemory(absl::string_view name, const SharedMemory& region) {
  struct stat info {};
  if (::fstat(static_cast<int>(region.handle()), &info) < 0) {
    return absl::ErrnoToStatus(errno, "fstat");
  }
  return Track(absl::StrCat("M ", info.st_ino, " ", name));
}

absl::Status TrackSocketFile(absl::string_view path) { return TrackPath('S', path, S_IFSOCK); }

absl::Status TrackDirectory(absl::string_view path) { return TrackPath('D', path, S_IFDIR); }

absl::Status Untrack(absl::string_view name) {
  std::unique_lock<std::mutex> lock = LockTracker();
  if (tracker_connection < 0) return absl::OkStatus();
  return SendRecord(absl::StrCat("U ", name));
}

}  // namespace multiproc::platform
