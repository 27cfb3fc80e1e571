// A spawned child whose bootstrap payload is bad exits with kBootstrapFailureExitCode and a
// message; it never runs user code or hangs.
#include "core/bootstrap.h"

#include <string>

#include "core/spawner.h"
#include "gtest/gtest.h"
#include "platform/pipe.h"
#include "platform/process.h"

namespace multiproc::internal {
namespace {

// Starts this test binary as a spawned child and feeds `bytes` down its bootstrap pipe.
int ExitCodeOfChildFedWith(const std::string& bytes) {
  absl::StatusOr<platform::PipePair> pipe = platform::CreateSimplexPipe();
  EXPECT_TRUE(pipe.ok());
  platform::LaunchSpec spec;
  spec.executable = platform::CurrentExecutablePath().value();
  spec.arguments = {kSpawnChildMarker, std::to_string(pipe->first.get())};
  spec.handles_to_pass = {pipe->first.get()};
  absl::StatusOr<platform::ChildProcess> child = platform::Launch(spec);
  EXPECT_TRUE(child.ok()) << child.status();
  pipe->first.reset();
  (void)platform::WriteAll(pipe->second.get(),
                           {reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()});
  pipe->second.reset();
  absl::StatusOr<std::optional<platform::ExitStatus>> status = child->Wait(absl::Seconds(60));
  EXPECT_TRUE(status.ok() && status->has_value()) << "the child hung on a bad payload";
  return status.ok() && status->has_value() ? (*status)->python_exitcode() : -1000;
}

std::string ValidFrame() {
  BootstrapPayload payload;
  payload.identity.name = "Process-x";
  return FrameBootstrap(payload, {});
}

TEST(Bootstrap, GarbageIsRejected) {
  EXPECT_EQ(ExitCodeOfChildFedWith("this is not a bootstrap payload"), kBootstrapFailureExitCode);
}

TEST(Bootstrap, EmptyPipeIsRejected) {
  EXPECT_EQ(ExitCodeOfChildFedWith(""), kBootstrapFailureExitCode);
}

TEST(Bootstrap, TruncatedPayloadIsRejected) {
  std::string frame = ValidFrame();
  EXPECT_EQ(ExitCodeOfChildFedWith(frame.substr(0, frame.size() - 5)), kBootstrapFailureExitCode);
}

TEST(Bootstrap, OversizedLengthIsRejectedWithoutAllocating) {
  std::string frame = ValidFrame();
  size_t magic_length = frame.find('\n') + 1;
  uint64_t huge = uint64_t{1} << 62;
  frame.replace(magic_length, sizeof(huge), reinterpret_cast<const char*>(&huge), sizeof(huge));
  EXPECT_EQ(ExitCodeOfChildFedWith(frame), kBootstrapFailureExitCode);
}

TEST(Bootstrap, UnresolvableTargetIsRejected) {
  // A well-formed payload naming code in a module this process does not have.
  BootstrapPayload payload;
  payload.invoker = {"/no/such/module.so", 16};
  payload.target = {"/no/such/module.so", 32};
  EXPECT_EQ(ExitCodeOfChildFedWith(FrameBootstrap(payload, {})), kBootstrapFailureExitCode);
}

}  // namespace
}  // namespace multiproc::internal
