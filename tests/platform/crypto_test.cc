#include "platform/crypto.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tests/platform/test_support.h"

namespace multiproc::platform {
namespace {

std::string Hex(absl::Span<const std::byte> bytes) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string Unhex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

// HMAC-SHA256 with an empty key over an empty message.
constexpr absl::string_view kEmptyHmacHex =
    "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";

// RFC 4231, test cases 1, 2 and 6 (a key longer than the block size), and an empty key and
// message.
TEST(Crypto, HmacSha256MatchesRfc4231) {
  struct Case {
    std::string key, message, expected_hex;
  };
  std::vector<Case> cases = {
      {Unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"", "", std::string(kEmptyHmacHex)},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Sha256Digest> mac =
        HmacSha256(testing::AsBytes(c.key), testing::AsBytes(c.message));
    ASSERT_TRUE(mac.ok()) << mac.status();
    EXPECT_EQ(Hex(*mac), c.expected_hex) << c.message;
  }
}

TEST(Crypto, RandomBytesDifferBetweenCalls) {
  std::vector<std::byte> first(32), second(32);
  ASSERT_TRUE(FillRandom(absl::MakeSpan(first)).ok());
  ASSERT_TRUE(FillRandom(absl::MakeSpan(second)).ok());
  EXPECT_NE(first, second);
  EXPECT_NE(first, std::vector<std::byte>(32)) << "all zero";
}

// Default-constructed spans, whose data() is null: the same digest as empty strings.
TEST(Crypto, HmacSha256TakesSpansWithoutData) {
  absl::StatusOr<Sha256Digest> mac = HmacSha256({}, {});
  ASSERT_TRUE(mac.ok()) << mac.status();
  EXPECT_EQ(Hex(*mac), kEmptyHmacHex);
}

// getentropy refuses more than 256 bytes at once; a longer buffer is filled in full, every
// 256-byte block of it.
TEST(Crypto, RandomBytesFillABufferLongerThanOneGetentropyCall) {
  std::vector<std::byte> buffer(1000);
  ASSERT_TRUE(FillRandom(absl::MakeSpan(buffer)).ok());
  for (size_t start = 0; start < buffer.size(); start += 256) {
    size_t length = std::min<size_t>(256, buffer.size() - start);
    std::vector<std::byte> block(buffer.begin() + start, buffer.begin() + start + length);
    EXPECT_NE(block, std::vector<std::byte>(length)) << "bytes from " << start << " left zero";
  }
}

TEST(Crypto, ConstantTimeEqualsComparesContentAndLength) {
  std::string a = "authkey-digest", b = "authkey-digest", c = "authkey-digesT";
  EXPECT_TRUE(ConstantTimeEquals(testing::AsBytes(a), testing::AsBytes(b)));
  EXPECT_FALSE(ConstantTimeEquals(testing::AsBytes(a), testing::AsBytes(c)));
  EXPECT_FALSE(ConstantTimeEquals(testing::AsBytes(a), testing::AsBytes(a).subspan(1)));
}

}  // namespace
}  // namespace multiproc::platform
