#include "platform/shared_memory.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "platform/process.h"
#include "tests/platform/test_support.h"

namespace multiproc::platform {
namespace {

std::string UniqueName(const char* stem) {
  return absl::StrCat("multiproc-test-", stem, "-", CurrentProcessId());
}

TEST(SharedMemory, UnnamedRegionIsZeroFilledAndWritable) {
  absl::StatusOr<SharedMemory> region = SharedMemory::CreateUnnamed(1 << 20);
  ASSERT_TRUE(region.ok()) << region.status();
  ASSERT_EQ(region->size(), 1u << 20);
  const unsigned char* bytes = static_cast<const unsigned char*>(region->data());
  for (size_t i = 0; i < region->size(); i += 4096) ASSERT_EQ(bytes[i], 0) << i;
  std::memset(region->data(), 0xAB, region->size());
  EXPECT_EQ(bytes[region->size() - 1], 0xAB);
}

TEST(SharedMemory, ZeroSizeIsRejected) {
  EXPECT_EQ(SharedMemory::CreateUnnamed(0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SharedMemory::CreateNamed(UniqueName("zero"), 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SharedMemory, ChildSeesAndChangesTheParentsRegion) {
  absl::StatusOr<SharedMemory> region = SharedMemory::CreateUnnamed(4096);
  ASSERT_TRUE(region.ok()) << region.status();
  std::memcpy(region->data(), "parent", 6);
  absl::StatusOr<ChildProcess> child = testing::LaunchHelper(
      {"shm-reverse", testing::HandleArgument(region->handle()), "4096"}, {region->handle()});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<ExitStatus> status = testing::WaitBriefly(*child);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->exit_code, 0);
  EXPECT_EQ(std::string(static_cast<const char*>(region->data()), 6), "child!");
}

TEST(SharedMemory, TwoMappingsOfOneRegionShareBytes) {
  absl::StatusOr<SharedMemory> first = SharedMemory::CreateUnnamed(4096);
  ASSERT_TRUE(first.ok()) << first.status();
  OwnedHandle borrowed(first->handle());
  absl::StatusOr<OwnedHandle> copy = borrowed.Duplicate();
  borrowed.release();  // still owned by `first`
  ASSERT_TRUE(copy.ok()) << copy.status();
  absl::StatusOr<SharedMemory> second = SharedMemory::FromHandle(std::move(*copy), 4096);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(first->data(), second->data());
  static_cast<char*>(first->data())[100] = 'z';
  EXPECT_EQ(static_cast<const char*>(second->data())[100], 'z');
}

TEST(SharedMemory, NamedRegionOpensFromItsNameAndUnlinks) {
  std::string name = UniqueName("named");
  absl::StatusOr<SharedMemory> created = SharedMemory::CreateNamed(name, 8192);
  ASSERT_TRUE(created.ok()) << created.status();
  std::memcpy(created->data(), "named!", 6);
  absl::StatusOr<SharedMemory> opened = SharedMemory::OpenNamed(name);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_GE(opened->size(), 8192u);
  EXPECT_EQ(std::string(static_cast<const char*>(opened->data()), 6), "named!");
  EXPECT_EQ(SharedMemory::CreateNamed(name, 8192).status().code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(SharedMemory::UnlinkNamed(name).ok());
  // The mappings survive the unlink.
  EXPECT_EQ(std::string(static_cast<const char*>(opened->data()), 6), "named!");
}

TEST(SharedMemory, OpeningAMissingNameIsNotFound) {
  EXPECT_EQ(SharedMemory::OpenNamed(UniqueName("missing")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(SharedMemory, IllegalNamesAreRejected) {
  for (const std::string& name :
       {std::string(""), std::string("has/slash"), std::string("back\\slash"),
        std::string(201, 'x'), std::string("space name")}) {
    EXPECT_EQ(SharedMemory::CreateNamed(name, 64).status().code(),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
  EXPECT_TRUE(ValidateSharedMemoryName(std::string(200, 'x')).ok());
}

}  // namespace
}  // namespace multiproc::platform
