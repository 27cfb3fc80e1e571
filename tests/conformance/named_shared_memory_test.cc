// Named SharedMemory and ShareableList (Python's multiprocessing.shared_memory): create, attach by
// name from a child, travel as a Process argument, Python's errors, and who unlinks the name
// (even when its creator is killed).
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/shareable_list.h"
#include "core/shared_memory.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

using testing::MakeReportPipe;
using testing::ReceiveAll;
using testing::Send;

class NamedSharedMemoryConformance : public testing::StartMethodTest {};
MULTIPROC_FOR_EVERY_START_METHOD(NamedSharedMemoryConformance);

std::string Text(const SharedMemory& memory, size_t length) {
  return std::string(reinterpret_cast<const char*>(memory.buf().data()), length);
}

void Write(const SharedMemory& memory, const std::string& text) {
  std::memcpy(memory.buf().data(), text.data(), text.size());
}

TEST(NamedSharedMemory, CreateAndAttachByNameSeeTheSameBytes) {
  SharedMemory created(std::nullopt, true, 4096);
  EXPECT_EQ(created.name().rfind("psm_", 0), 0u) << created.name();
  EXPECT_EQ(created.size(), 4096u);
  EXPECT_EQ(std::to_integer<int>(created.buf()[100]), 0) << "new memory is zero-filled";
  Write(created, "hello");
  SharedMemory attached(created.name());
  EXPECT_GE(attached.size(), 4096u);
  EXPECT_EQ(Text(attached, 5), "hello");
  SharedMemory other(std::nullopt, true, 16);
  EXPECT_NE(other.name(), created.name()) << "random names differ";
  attached.close();
  EXPECT_THROW(attached.buf(), ValueError);
  EXPECT_EQ(Text(created, 5), "hello") << "close() leaves the creator's mapping alone";
  created.unlink();
}

TEST(NamedSharedMemory, BadInputGetsPythonsErrors) {
  std::string name = SharedMemory(std::nullopt, true, 8).name();  // unlinked when destroyed
  EXPECT_THROW(SharedMemory{name}, FileNotFoundError) << "the creator's destruction unlinked it";
  SharedMemory taken(name, true, 8);
  EXPECT_THROW(SharedMemory(name, true, 8), FileExistsError);
  EXPECT_THROW(SharedMemory("psm_no_such_block_here"), FileNotFoundError);
  EXPECT_THROW(SharedMemory(std::nullopt, true, 0), ValueError);
  EXPECT_THROW(SharedMemory(std::nullopt, true, -5), ValueError);
  EXPECT_THROW(SharedMemory(std::nullopt), ValueError) << "attach needs a name";
  EXPECT_THROW(SharedMemory(std::string(201, 'a'), true, 8), ValueError);
  EXPECT_THROW(SharedMemory("bad/name", true, 8), ValueError);
  EXPECT_THROW(SharedMemory("", true, 8), ValueError);
  taken.unlink();
#ifdef _WIN32
  // Windows names live while any handle does; unlink only checks the name.
#else
  EXPECT_THROW(SharedMemory{name}, FileNotFoundError);
  EXPECT_THROW(taken.unlink(), FileNotFoundError) << "Python: unlink twice is FileNotFoundError";
#endif
}

void AttachByNameAndWrite(std::string name, platform::OwnedHandle report) {
  SharedMemory memory(name);
  Send(report, Text(memory, 6));
  Write(memory, "child!");
}

TEST_P(NamedSharedMemoryConformance, AChildAttachesByName) {
  SharedMemory memory(std::nullopt, true, 1 << 16);
  Write(memory, "parent");
  testing::ReportPipe pipe = MakeReportPipe();
  Process child = MakeProcess(AttachByNameAndWrite, memory.name(), std::move(pipe.writer));
  child.start();
  EXPECT_EQ(ReceiveAll(pipe.reader), "parent");
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(Text(memory, 6), "child!");
}

void WriteReceived(SharedMemory memory, platform::OwnedHandle report) {
  Send(report, absl::StrCat(memory.name(), ":", memory.size()));
  Write(memory, "via argument");
}

TEST_P(NamedSharedMemoryConformance, TravelsAsAProcessArgumentAndTheChildDoesNotUnlink) {
  SharedMemory memory(std::nullopt, true, 100);
  testing::ReportPipe pipe = MakeReportPipe();
  Process child = MakeProcess(WriteReceived, memory, std::move(pipe.writer));
  child.start();
  EXPECT_EQ(ReceiveAll(pipe.reader), absl::StrCat(memory.name(), ":100"));
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(Text(memory, 12), "via argument");
  EXPECT_NO_THROW(SharedMemory{memory.name()}) << "only the creator unlinks";
}

// True once attaching `name` is a FileNotFoundError; false if the name still exists after `within`.
bool DisappearsWithin(const std::string& name, absl::Duration within) {
  return testing::HoldsWithin(
      [&name] {
        try {
          SharedMemory attached(name);
          return false;
        } catch (const FileNotFoundError&) {
          return true;
        }
      },
      within);
}

// Creates `count` names, sends them to the parent, and waits for a word from it (or to be killed).
void CreateNamesAndWait(Connection parent, int count) {
  std::vector<SharedMemory> created;
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    names.push_back(created.emplace_back(std::nullopt, true, 64).name());
  }
  parent.send(names);
  (void)parent.recv_bytes();
}

TEST_P(NamedSharedMemoryConformance, AKilledCreatorsNameIsUnlinkedAndOtherNamesStay) {
  SharedMemory kept(std::nullopt, true, 64);
  auto [parent_end, child_end] = Pipe();
  Process child = MakeProcess(CreateNamesAndWait, child_end, 1);
  child.start();
  std::string doomed = parent_end.recv<std::vector<std::string>>().at(0);
  EXPECT_NO_THROW(SharedMemory{doomed}) << "the name lives while its creator does";
  child.kill();
  child.join();
  EXPECT_EQ(child.exitcode(), -platform::kSignalKill);
  EXPECT_TRUE(DisappearsWithin(doomed, absl::Seconds(10))) << doomed << " outlived its creator";
  EXPECT_NO_THROW(SharedMemory{kept.name()}) << "a child's death leaves its parent's names alone";
}

TEST_P(NamedSharedMemoryConformance, ANameUnlinkedAndCreatedAgainOutlivesItsFirstCreator) {
#ifdef _WIN32
  GTEST_SKIP() << "on Windows a name cannot be created again while its first creator holds it";
#else
  auto [parent_end, child_end] = Pipe();
  Process child = MakeProcess(CreateNamesAndWait, child_end, 2);
  child.start();
  std::vector<std::string> names = parent_end.recv<std::vector<std::string>>();
  SharedMemory(names[1]).unlink();
  SharedMemory again(names[1], true, 64);
  child.kill();
  child.join();
  // The tracker removes the newest first: once the oldest name is gone, it has passed the newest.
  EXPECT_TRUE(DisappearsWithin(names[0], absl::Seconds(10))) << names[0];
  EXPECT_NO_THROW(SharedMemory{names[1]}) << "the first creator's death unlinked a new block";
#endif
}

// Creates a name and unlinks it when the parent asks, then says so.
void CreateAndUnlinkWhenAsked(Connection parent) {
  SharedMemory memory(std::nullopt, true, 64);
  parent.send(memory.name());
  (void)parent.recv_bytes();
  memory.unlink();
  memory.close();  // on Windows a name lives while a handle to it does
  parent.send(std::string("unlinked"));
}

TEST_P(NamedSharedMemoryConformance, ALivingCreatorKeepsItsNameUntilItUnlinksIt) {
  auto [parent_end, child_end] = Pipe();
  Process child = MakeProcess(CreateAndUnlinkWhenAsked, child_end);
  child.start();
  std::string name = parent_end.recv<std::string>();
  EXPECT_NO_THROW(SharedMemory{name}) << "the creator lives and has not unlinked it";
  parent_end.send_bytes("unlink");
  EXPECT_EQ(parent_end.recv<std::string>(), "unlinked");
  EXPECT_THROW(SharedMemory{name}, FileNotFoundError);
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(ShareableList, HoldsTypedItemsWithFixedCapacities) {
  ShareableList list({1, 2.5, true, "abc", std::monostate{}, std::vector<uint8_t>{1, 2, 3}});
  ASSERT_EQ(list.size(), 6u);
  EXPECT_EQ(std::get<int64_t>(list.get(0)), 1);
  EXPECT_EQ(std::get<double>(list.get(1)), 2.5);
  EXPECT_EQ(std::get<bool>(list.get(2)), true);
  EXPECT_EQ(std::get<std::string>(list.get(3)), "abc");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(list.get(4)));
  EXPECT_EQ(std::get<std::vector<uint8_t>>(list.get(-1)), (std::vector<uint8_t>{1, 2, 3}));
  list.set(3, std::string("1234567"));  // "abc" got 8 bytes
  EXPECT_EQ(std::get<std::string>(list.get(3)), "1234567");
  EXPECT_THROW(list.set(3, std::string("123456789")), ValueError) << "exceeds the slot";
  list.set(0, std::string("8 bytes!"));  // any item may replace another if it fits
  EXPECT_EQ(std::get<std::string>(list.get(0)), "8 bytes!");
  list.set(4, int64_t{-7});
  EXPECT_THROW(list.get(6), std::out_of_range);
  EXPECT_THROW(list.get(-7), std::out_of_range);
  EXPECT_THROW(list.set(6, int64_t{1}), std::out_of_range);
  list.set(1, int64_t{-7});
  EXPECT_EQ(list.count(int64_t{-7}), 2u);
  EXPECT_EQ(list.index(int64_t{-7}), 1u);
  EXPECT_THROW(list.index(std::string("absent")), ValueError);
  ShareableList same = ShareableList::Attach(list.shm().name());
  EXPECT_EQ(std::get<std::string>(same.get(0)), "8 bytes!");
  EXPECT_EQ(ShareableList(std::vector<ShareableList::Item>{}).size(), 0u);
}

TEST(ShareableList, AttachingSomethingElseIsAValueError) {
  SharedMemory plain(std::nullopt, true, 64);
  EXPECT_THROW(ShareableList::Attach(plain.name()), ValueError);
  EXPECT_THROW(ShareableList::Attach("psm_no_such_list"), FileNotFoundError);
}

void UpdateList(std::string name, ShareableList received) {
  ShareableList attached = ShareableList::Attach(name);
  attached.set(0, std::get<int64_t>(attached.get(0)) + 1);
  received.set(1, std::string("from child"));
}

TEST_P(NamedSharedMemoryConformance, AChildUpdatesAShareableListByNameAndAsAnArgument) {
  ShareableList list({int64_t{41}, std::string("0123456789")});
  Process child = MakeProcess(UpdateList, list.shm().name(), list);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(std::get<int64_t>(list.get(0)), 42);
  EXPECT_EQ(std::get<std::string>(list.get(1)), "from child");
}

}  // namespace
}  // namespace multiproc
