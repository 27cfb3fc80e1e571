#include "core/serialization.h"

#include <deque>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "gtest/gtest.h"
#include "platform/code_location.h"
#include "platform/pipe.h"

namespace multiproc::internal {
namespace {

TEST(Serialization, StandardTypesRoundTrip) {
  HandleTable handles;
  std::map<std::string, std::vector<int>> map = {{"a", {1, 2}}, {"b", {}}};
  std::optional<double> optional = 2.5;
  std::variant<int, std::string> variant = std::string("v");
  std::string bytes = Encode(handles, map, optional, variant);
  decltype(map) map_back;
  decltype(optional) optional_back;
  decltype(variant) variant_back;
  Decode(bytes, handles, map_back, optional_back, variant_back);
  EXPECT_EQ(map_back, map);
  EXPECT_EQ(optional_back, optional);
  EXPECT_EQ(variant_back, variant);
  EXPECT_EQ(handles.size(), 0u);
}

// Carries its text as a nested message: its save and load run Encode and Decode while the outer
// Encode or Decode is still using this thread's stream.
struct NestedMessage {
  std::string text;

  template <typename Archive>
  void save(Archive& archive) const {
    HandleTable no_handles;
    archive(Encode(no_handles, text, 7));
  }
  template <typename Archive>
  void load(Archive& archive) {
    std::string bytes;
    archive(bytes);
    HandleTable no_handles;
    int seven = 0;
    Decode(bytes, no_handles, text, seven);
    if (seven != 7) throw SerializationError("the nested message lost its second value");
  }
};

TEST(Serialization, MessagesNestedInsideAValueRoundTrip) {
  HandleTable handles;
  NestedMessage nested{"inside"};
  std::string bytes = Encode(handles, std::string("before"), nested, std::string("after"));
  std::string before;
  NestedMessage nested_back;
  std::string after;
  Decode(bytes, handles, before, nested_back, after);
  EXPECT_EQ(before, "before");
  EXPECT_EQ(nested_back.text, "inside");
  EXPECT_EQ(after, "after");
}

TEST(Serialization, TruncatedBytesAreASerializationError) {
  HandleTable handles;
  std::string bytes = Encode(handles, std::string(100, 'x'));
  std::string back;
  EXPECT_THROW(Decode(bytes.substr(0, 50), handles, back), SerializationError);
}

TEST(Serialization, TypeMismatchIsASerializationError) {
  HandleTable handles;
  std::string bytes = Encode(handles, int32_t{5});
  std::string back;
  EXPECT_THROW(Decode(bytes, handles, back), SerializationError);
  int64_t wider = 0;
  EXPECT_THROW(Decode(Encode(handles, std::string("abc")), handles, wider), SerializationError)
      << "leftover bytes must not pass silently";
}

// A message whose size prefix claims far more elements than it has bytes: cereal would resize
// the container first. The decoder must refuse before allocating (under ASan an attempt to
// allocate this much aborts the test).
std::string HostileSizePrefix(uint64_t claimed) {
  HandleTable handles;
  std::string bytes = Encode(handles, std::string("abc"));
  // Portable binary: one byte of endianness, then the 8-byte size prefix, little-endian.
  for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<char>((claimed >> (8 * i)) & 0xff);
  return bytes;
}

TEST(Serialization, AHugeStringSizePrefixIsRefusedBeforeAllocating) {
  HandleTable handles;
  std::string back;
  EXPECT_THROW(Decode(HostileSizePrefix(uint64_t{1} << 40), handles, back), SerializationError);
  EXPECT_THROW(Decode(HostileSizePrefix(~uint64_t{0}), handles, back), SerializationError);
  EXPECT_TRUE(back.empty());
  // 256 MiB would be allocatable: only the bound tells this refusal from a failed read after it.
  try {
    Decode(HostileSizePrefix(uint64_t{1} << 28), handles, back);
    ADD_FAILURE() << "decoded a string longer than its message";
  } catch (const SerializationError& error) {
    EXPECT_NE(std::string(error.what()).find("bytes left in the message"), std::string::npos)
        << error.what();
  }
}

TEST(Serialization, AHugeVectorSizePrefixIsRefusedBeforeAllocating) {
  HandleTable handles;
  std::vector<int64_t> numbers;
  std::vector<std::string> texts;
  EXPECT_THROW(Decode(HostileSizePrefix(uint64_t{1} << 37), handles, numbers), SerializationError);
  EXPECT_THROW(Decode(HostileSizePrefix(uint64_t{1} << 37), handles, texts), SerializationError);
  EXPECT_THROW(
      (DecodeArguments<std::vector<double>>(HostileSizePrefix(uint64_t{1} << 36), handles)),
      SerializationError);
}

TEST(Serialization, HugeDequeAndListSizePrefixesAreRefusedBeforeAllocating) {
  HandleTable handles;
  std::deque<std::string> deque;
  std::list<int64_t> list;
  // 2^31 elements of 32 or 24 bytes would allocate tens of GiB before the first read failed:
  // the refusal must come from the bound, before any allocation.
  auto refusal = [](auto decode) {
    try {
      decode();
    } catch (const SerializationError& error) {
      return std::string(error.what());
    }
    return std::string("decoded");
  };
  EXPECT_NE(refusal([&] {
              Decode(HostileSizePrefix(uint64_t{1} << 31), handles, deque);
            }).find("bytes left in the message"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              Decode(HostileSizePrefix(uint64_t{1} << 31), handles, list);
            }).find("bytes left in the message"),
            std::string::npos);
  std::deque<std::string> sent_deque = {"x", "", "yz"};
  std::list<int64_t> sent_list = {3, -4};
  Decode(Encode(handles, sent_deque, sent_list), handles, deque, list);
  EXPECT_EQ(deque, sent_deque);
  EXPECT_EQ(list, sent_list);
}

// An element that takes eight bytes on the wire and counts how many were ever made.
struct CountedWord {
  static inline int64_t made = 0;
  CountedWord() { ++made; }
  uint64_t value = 0;
  template <typename Archive>
  void serialize(Archive& archive) {
    archive(value);
  }
};

// A size prefix the message's bytes could hold at one byte per element, but whose elements take
// eight: the container grows as elements arrive instead of being sized by the prefix, so the
// message costs only the elements really in it (sized up front, a 1 MiB message of this kind made
// a million elements before it failed; of elements of 30-90 bytes, 30-90 MiB).
TEST(Serialization, ContainersGrowAsElementsArriveInsteadOfBySizePrefix) {
  constexpr int64_t kPrefix = int64_t{1} << 20;
  constexpr int64_t kReallyThere = kPrefix / sizeof(uint64_t);
  HandleTable handles;
  const std::string short_of_its_prefix = Encode(handles, std::vector<uint8_t>(kPrefix, 0));
  std::vector<CountedWord> vector;
  std::deque<CountedWord> deque;
  std::list<CountedWord> list;
  auto made_by_a_failed_decode = [&](auto& container) {
    CountedWord::made = 0;
    EXPECT_THROW(Decode(short_of_its_prefix, handles, container), SerializationError);
    return CountedWord::made;
  };
  EXPECT_LE(made_by_a_failed_decode(vector), kReallyThere + 1);
  EXPECT_LE(made_by_a_failed_decode(deque), kReallyThere + 1);
  EXPECT_LE(made_by_a_failed_decode(list), kReallyThere + 1);
  std::vector<CountedWord> whole;
  Decode(Encode(handles, std::vector<uint64_t>(kReallyThere, 7)), handles, whole);
  ASSERT_EQ(whole.size(), static_cast<size_t>(kReallyThere)) << "a prefix the bytes hold decodes";
  EXPECT_EQ(whole.back().value, 7u);
}

TEST(Serialization, ABoolByteOtherThanZeroOrOneIsASerializationError) {
  HandleTable handles;
  std::string bytes = Encode(handles, true, std::vector<bool>{false});
  bool flag = false;
  std::vector<bool> flags;
  Decode(bytes, handles, flag, flags);
  EXPECT_TRUE(flag);
  bytes[1] = 2;  // after the endianness byte: the bool
  EXPECT_THROW(Decode(bytes, handles, flag, flags), SerializationError);
  bytes[1] = 1;
  bytes.back() = 7;  // the vector's one element
  EXPECT_THROW(Decode(bytes, handles, flag, flags), SerializationError);
}

TEST(Serialization, BoundedLoadsKeepTheWireFormat) {
  HandleTable handles;
  std::vector<std::string> texts = {"", "a", std::string(1000, 'z')};
  std::vector<int16_t> numbers = {1, -2, 300};
  std::vector<bool> flags = {true, false, true};
  std::vector<std::monostate> empties(5);
  std::string bytes = Encode(handles, texts, numbers, flags, empties);
  decltype(texts) texts_back;
  decltype(numbers) numbers_back;
  decltype(flags) flags_back;
  decltype(empties) empties_back;
  Decode(bytes, handles, texts_back, numbers_back, flags_back, empties_back);
  EXPECT_EQ(texts_back, texts);
  EXPECT_EQ(numbers_back, numbers);
  EXPECT_EQ(flags_back, flags);
  EXPECT_EQ(empties_back.size(), 5u);
}

TEST(Serialization, HandlesTravelAsReferencesIntoTheTable) {
  absl::StatusOr<platform::PipePair> pipe = platform::CreateDuplexPipe();
  ASSERT_TRUE(pipe.ok());
  HandleTable outgoing;
  std::string bytes = Encode(outgoing, pipe->first, platform::OwnedHandle());
  ASSERT_EQ(outgoing.size(), 1u) << "the invalid handle takes no slot";
  EXPECT_NE(outgoing.values()[0], pipe->first.get()) << "the table holds its own duplicate";
  platform::OwnedHandle received, none;
  Decode(bytes, outgoing, received, none);
  EXPECT_TRUE(received.valid());
  EXPECT_FALSE(none.valid());
  ASSERT_TRUE(
      platform::WriteAll(received.get(), {reinterpret_cast<const std::byte*>("z"), 1}).ok());
  std::byte got[1];
  ASSERT_TRUE(platform::ReadExact(pipe->second.get(), got).ok());
  EXPECT_EQ(got[0], std::byte{'z'});
}

TEST(Serialization, AMissingHandleIsASerializationError) {
  absl::StatusOr<platform::PipePair> pipe = platform::CreateDuplexPipe();
  ASSERT_TRUE(pipe.ok());
  HandleTable outgoing;
  std::string bytes = Encode(outgoing, pipe->first);
  HandleTable empty;
  platform::OwnedHandle received;
  EXPECT_THROW(Decode(bytes, empty, received), SerializationError);
}

void SomeFunction() {}

TEST(CodeLocation, AFunctionResolvesBackToItself) {
  absl::StatusOr<platform::CodeLocation> where =
      platform::LocateCode(reinterpret_cast<const void*>(&SomeFunction));
  ASSERT_TRUE(where.ok()) << where.status();
  absl::StatusOr<const void*> back = platform::ResolveCode(*where);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, reinterpret_cast<const void*>(&SomeFunction));
}

TEST(CodeLocation, UnknownModulesAndOffsetsAreNotFound) {
  EXPECT_EQ(platform::ResolveCode({"/no/such/module", 0}).status().code(),
            absl::StatusCode::kNotFound);
  absl::StatusOr<platform::CodeLocation> where =
      platform::LocateCode(reinterpret_cast<const void*>(&SomeFunction));
  ASSERT_TRUE(where.ok());
  EXPECT_EQ(platform::ResolveCode({where->module, uint64_t{1} << 46}).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace multiproc::internal
