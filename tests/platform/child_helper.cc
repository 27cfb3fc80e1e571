// The child the platform tests launch. argv[1] names its role; handles arrive as decimal values.
// Each role exits with 0 when it did its job and with a distinct code saying what went wrong, so a
// test learns the child's view from its exit status alone.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "platform/handle.h"
#include "platform/pipe.h"
#include "platform/process.h"
#include "platform/semaphore.h"
#include "platform/shared_memory.h"

namespace platform = multiproc::platform;

namespace {

enum ExitCode {
  kOk = 0,
  kBadUsage = 64,
  kWriteFailed = 65,
  kMapFailed = 66,
  kUnexpectedContent = 67,
  kSyncFailed = 68,
  kLaunchFailed = 69,
};

platform::NativeHandle ParseHandle(const std::string& text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    std::cerr << "child_helper: not a handle value: " << text << "\n";
    platform::ExitImmediately(kBadUsage);
  }
  return static_cast<platform::NativeHandle>(value);
}

bool WriteText(platform::NativeHandle handle, const std::string& text) {
  return platform::WriteAll(handle, {reinterpret_cast<const std::byte*>(text.data()), text.size()})
      .ok();
}

void SleepLong() { absl::SleepFor(absl::Seconds(60)); }

// write-handles LISTED UNLISTED: writes to both; only the listed one should reach the parent.
int WriteHandles(const std::vector<std::string>& args) {
  if (args.size() != 2) return kBadUsage;
  WriteText(ParseHandle(args[1]), "leaked");  // expected to fail: the handle is not ours
  return WriteText(ParseHandle(args[0]), "listed") ? kOk : kWriteFailed;
}

// echo-args HANDLE ARGS...: sends the remaining arguments back, separated by '\n'.
int EchoArgs(const std::vector<std::string>& args) {
  if (args.empty()) return kBadUsage;
  std::vector<std::string> rest(args.begin() + 1, args.end());
  return WriteText(ParseHandle(args[0]), absl::StrJoin(rest, "\n")) ? kOk : kWriteFailed;
}

// shm-reverse HANDLE SIZE: checks the region reads "parent" and overwrites it with "child!".
int SharedMemoryReverse(const std::vector<std::string>& args) {
  size_t size = 0;
  if (args.size() != 2 || !absl::SimpleAtoi(args[1], &size)) return kBadUsage;
  absl::StatusOr<platform::SharedMemory> region =
      platform::SharedMemory::FromHandle(platform::OwnedHandle(ParseHandle(args[0])), size);
  if (!region.ok()) return kMapFailed;
  char* bytes = static_cast<char*>(region->data());
  if (std::memcmp(bytes, "parent", 6) != 0) return kUnexpectedContent;
  std::memcpy(bytes, "child!", 6);
  return kOk;
}

// sem-release HANDLE: releases the semaphore twice.
int SemaphoreRelease(const std::vector<std::string>& args) {
  if (args.size() != 1) return kBadUsage;
  absl::StatusOr<platform::Semaphore> semaphore =
      platform::Semaphore::FromHandle(platform::OwnedHandle(ParseHandle(args[0])));
  if (!semaphore.ok() || !semaphore->Release().ok() || !semaphore->Release().ok()) {
    return kSyncFailed;
  }
  return kOk;
}

// event-set HANDLE: sets the event.
int EventSet(const std::vector<std::string>& args) {
  if (args.size() != 1) return kBadUsage;
  absl::StatusOr<platform::Event> event =
      platform::Event::FromHandle(platform::OwnedHandle(ParseHandle(args[0])));
  return event.ok() && event->Set().ok() ? kOk : kSyncFailed;
}

// bind-request HANDLE: writes the loader's bind-at-load variable as this process found it and
// as it is after ForgetBindSymbolsAtLoad, as "before|after".
int BindRequest(const std::vector<std::string>& args) {
  if (args.size() != 1) return kBadUsage;
  auto variable = [] {
    const char* value = std::getenv("LD_BIND_NOW");
    return std::string(value == nullptr ? "(unset)" : value);
  };
  std::string before = variable();
  platform::ForgetBindSymbolsAtLoad();
  return WriteText(ParseHandle(args[0]), before + "|" + variable()) ? kOk : kWriteFailed;
}

// hold HANDLE: announces itself on the pipe, then keeps its end open for a minute.
int Hold(const std::vector<std::string>& args) {
  if (args.size() != 1) return kBadUsage;
  if (!WriteText(ParseHandle(args[0]), "1")) return kWriteFailed;
  SleepLong();
  return kOk;
}

// spawn-holder HANDLE: launches "hold HANDLE" with kill_when_parent_dies, then sleeps; the test
// kills this process and expects the holder to die with it.
int SpawnHolder(const std::vector<std::string>& args, const char* self) {
  if (args.size() != 1) return kBadUsage;
  platform::LaunchSpec spec;
  spec.executable = self;
  spec.arguments = {"hold", args[0]};
  spec.handles_to_pass = {ParseHandle(args[0])};
  spec.kill_when_parent_dies = true;
  absl::StatusOr<platform::ChildProcess> holder = platform::Launch(spec);
  if (!holder.ok()) {
    std::cerr << "child_helper: " << holder.status() << "\n";
    return kLaunchFailed;
  }
  platform::CloseNativeHandle(ParseHandle(args[0]));  // only the holder keeps the pipe open
  SleepLong();
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return kBadUsage;
  std::string role = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (role == "exit" && args.size() == 1) return std::stoi(args[0]);
  if (role == "sleep") {
    SleepLong();
    return kOk;
  }
  if (role == "write-handles") return WriteHandles(args);
  if (role == "echo-args") return EchoArgs(args);
  if (role == "shm-reverse") return SharedMemoryReverse(args);
  if (role == "sem-release") return SemaphoreRelease(args);
  if (role == "event-set") return EventSet(args);
  if (role == "hold") return Hold(args);
  if (role == "bind-request") return BindRequest(args);
  if (role == "spawn-holder") {
    absl::StatusOr<std::string> self = platform::CurrentExecutablePath();
    return self.ok() ? SpawnHolder(args, self->c_str()) : kLaunchFailed;
  }
  std::cerr << "child_helper: unknown role " << role << "\n";
  return kBadUsage;
}
