#include "platform/handle.h"

#include "gtest/gtest.h"
#include "platform/pipe.h"
#include "tests/platform/test_support.h"

namespace multiproc::platform {
namespace {

TEST(Handle, DefaultIsInvalid) {
  OwnedHandle handle;
  EXPECT_FALSE(handle.valid());
  EXPECT_EQ(handle.get(), kInvalidHandle);
}

TEST(Handle, ResetClosesTheHandle) {
  absl::StatusOr<PipePair> pipe = CreateSimplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  NativeHandle value = pipe->first.get();
  EXPECT_TRUE(IsOpen(value));
  pipe->first.reset();
  EXPECT_FALSE(IsOpen(value));
}

TEST(Handle, ReleaseGivesUpOwnership) {
  absl::StatusOr<PipePair> pipe = CreateSimplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  NativeHandle value = pipe->first.release();
  EXPECT_FALSE(pipe->first.valid());
  EXPECT_TRUE(IsOpen(value));
  CloseNativeHandle(value);
  EXPECT_FALSE(IsOpen(value));
}

TEST(Handle, DuplicateOutlivesTheOriginal) {
  absl::StatusOr<PipePair> pipe = CreateSimplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  absl::StatusOr<OwnedHandle> copy = pipe->second.Duplicate();
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_NE(copy->get(), pipe->second.get());
  absl::StatusOr<bool> inheritable = IsInheritable(copy->get());
  ASSERT_TRUE(inheritable.ok()) << inheritable.status();
  EXPECT_FALSE(*inheritable);
  pipe->second.reset();
  ASSERT_TRUE(WriteAll(copy->get(), testing::AsBytes("via copy")).ok());
  copy->reset();
  absl::StatusOr<std::string> text = testing::ReadToEnd(pipe->first.get());
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "via copy");
}

TEST(Handle, InheritableFlagRoundTrips) {
  absl::StatusOr<PipePair> pipe = CreateSimplexPipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  absl::StatusOr<bool> initially = IsInheritable(pipe->first.get());
  ASSERT_TRUE(initially.ok()) << initially.status();
  EXPECT_FALSE(*initially) << "multiproc creates handles hidden from children";
  ASSERT_TRUE(SetInheritable(pipe->first.get(), true).ok());
  EXPECT_TRUE(*IsInheritable(pipe->first.get()));
  ASSERT_TRUE(SetInheritable(pipe->first.get(), false).ok());
  EXPECT_FALSE(*IsInheritable(pipe->first.get()));
}

TEST(Handle, DuplicatingAnInvalidHandleFails) {
  OwnedHandle invalid;
  EXPECT_FALSE(invalid.Duplicate().ok());
  EXPECT_FALSE(SetInheritable(kInvalidHandle, true).ok());
}

}  // namespace
}  // namespace multiproc::platform
