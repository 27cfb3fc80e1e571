// Objects carrying OS handles reach a child that is already running, under every start method:
// the mechanism Pool task arguments stand on.
#include "core/handle_transport.h"

#include <cstring>
#include <string>

#include "platform/shared_memory.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

class HandleTransportConformance : public testing::StartMethodTest {};
MULTIPROC_FOR_EVERY_START_METHOD(HandleTransportConformance);

// Waits for objects on `channel`, then uses each: writes into the region, and answers through the
// received pipe end with the text it found in the region.
void ReceiveAndUse(platform::OwnedHandle channel) {
  platform::SharedMemory region;
  platform::OwnedHandle reply;
  std::string note;
  internal::ReceiveObjects(channel.get(), region, reply, note);
  std::string found(static_cast<const char*>(region.data()), 6);
  std::memcpy(region.data(), "child!", 6);
  testing::Send(reply, found + "|" + note);
}

TEST_P(HandleTransportConformance, SharedMemoryAndPipeEndReachARunningChild) {
  absl::StatusOr<platform::PipePair> channel = platform::CreateDuplexPipe();
  ASSERT_TRUE(channel.ok());
  Process child = MakeProcess(ReceiveAndUse, std::move(channel->second));
  child.start();

  absl::StatusOr<platform::SharedMemory> region = platform::SharedMemory::CreateUnnamed(4096);
  ASSERT_TRUE(region.ok());
  std::memcpy(region->data(), "parent", 6);
  testing::ReportPipe reply = testing::MakeReportPipe();
  // Sent after start(): the child did not exist when these objects were made.
  internal::SendObjects(channel->first.get(), *child.pid(), *region, reply.writer,
                        std::string("sent late"));
  reply.writer.reset();
  EXPECT_EQ(testing::ReceiveAll(reply.reader), "parent|sent late");
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(std::string(static_cast<const char*>(region->data()), 6), "child!");
}

TEST_P(HandleTransportConformance, AMessageOfTheWrongTypesIsASerializationErrorInTheChild) {
  absl::StatusOr<platform::PipePair> channel = platform::CreateDuplexPipe();
  ASSERT_TRUE(channel.ok());
  Process child = MakeProcess(ReceiveAndUse, std::move(channel->second));
  child.start();
  internal::SendObjects(channel->first.get(), *child.pid(), 12345);
  child.join();
  EXPECT_EQ(child.exitcode(), 1) << "the child's ReceiveObjects threw SerializationError";
}

}  // namespace
}  // namespace multiproc
