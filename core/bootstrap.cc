#include "core/bootstrap.h"

#include <boost/core/demangle.hpp>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <typeinfo>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/serialization.h"
#include "core/start_method.h"
#include "platform/pipe.h"

namespace multiproc::internal {

namespace {

constexpr char kBootstrapMagic[] = "multiproc-bootstrap-v1\n";
constexpr size_t kMagicLength = sizeof(kBootstrapMagic) - 1;

void ReportUncaught(const char* type_name, const char* message) {
  std::cerr << "Process " << current_process().name << ":\n"
            << boost::core::demangle(type_name) << ": " << message << std::endl;
}

absl::Status DataLoss(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("bootstrap payload: ", what));
}

}  // namespace

void FlushStandardStreams() {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
}

int RunAsChildMain(absl::FunctionRef<void()> target) {
  int exit_code = 0;
  try {
    target();
  } catch (const SystemExit& request) {
    exit_code = request.code();
  } catch (const std::exception& error) {
    ReportUncaught(typeid(error).name(), error.what());
    exit_code = 1;
  } catch (...) {
    ReportUncaught("unknown exception", "(not derived from std::exception)");
    exit_code = 1;
  }
  FlushStandardStreams();
  return exit_code;
}

int RunChild(const BootstrapPayload& payload, HandleTable& handles) {
  AdoptIdentity(payload.identity);
  try {
    set_start_method(payload.start_method, /*force=*/true);
  } catch (const ValueError& error) {
    std::cerr << "multiproc: child " << payload.identity.name << ": " << error.what() << std::endl;
    return kBootstrapFailureExitCode;
  }
  absl::StatusOr<const void*> invoker = platform::ResolveCode(payload.invoker);
  absl::StatusOr<const void*> target = platform::ResolveCode(payload.target);
  if (!invoker.ok() || !target.ok()) {
    std::cerr << "multiproc: child " << payload.identity.name
              << " cannot find its target: " << (invoker.ok() ? target.status() : invoker.status())
              << std::endl;
    return kBootstrapFailureExitCode;
  }
  auto invoke = reinterpret_cast<TargetInvoker>(const_cast<void*>(*invoker));
  return RunAsChildMain([&] { invoke(*target, payload.arguments, handles); });
}

std::string FrameBootstrap(const BootstrapPayload& payload,
                           const std::vector<platform::NativeHandle>& handle_values) {
  HandleTable no_handles;
  std::vector<int64_t> values(handle_values.begin(), handle_values.end());
  std::string body = Encode(no_handles, payload, values);
  uint64_t length = body.size();
  std::string frame(kBootstrapMagic, kMagicLength);
  frame.append(reinterpret_cast<const char*>(&length), sizeof(length));
  frame += body;
  return frame;
}

absl::StatusOr<ReceivedBootstrap> ReadBootstrap(platform::NativeHandle pipe) {
  char magic[kMagicLength];
  uint64_t length = 0;
  if (!platform::ReadExact(pipe, {reinterpret_cast<std::byte*>(magic), kMagicLength}).ok() ||
      std::memcmp(magic, kBootstrapMagic, kMagicLength) != 0) {
    return DataLoss("missing or wrong header (was this program started by multiproc?)");
  }
  if (!platform::ReadExact(pipe, {reinterpret_cast<std::byte*>(&length), sizeof(length)}).ok()) {
    return DataLoss("truncated length");
  }
  if (length > kMaxBootstrapBytes) {
    return DataLoss(
        absl::StrCat(length, " bytes announced, more than the ", kMaxBootstrapBytes, " allowed"));
  }
  // Grown as the bytes arrive: a lying length costs no more memory than the bytes sent.
  std::string body;
  if (!platform::ReadAppending(pipe, length, body).ok()) {
    return DataLoss(absl::StrCat("truncated: fewer than the ", length, " bytes announced"));
  }
  ReceivedBootstrap received;
  std::vector<int64_t> values;
  HandleTable no_handles;
  try {
    Decode(body, no_handles, received.payload, values);
  } catch (const SerializationError& error) {
    return DataLoss(error.what());
  }
  received.handle_values.assign(values.begin(), values.end());
  return received;
}

}  // namespace multiproc::internal
