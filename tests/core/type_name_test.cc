// TypeName gives one name per type on every compiler and platform: a manager shared between a
// GCC build and an MSVC build, or Linux and Windows, checks proxies by these names.
#include "core/type_name.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "gtest/gtest.h"

namespace geo {
struct Point {
  double x = 0, y = 0;
};
template <typename T>
struct Box {
  T low, high;
};
}  // namespace geo

template <>
struct multiproc::TypeNameOf<geo::Box<int>> {
  static std::string Get() { return "geo::Box<int32>"; }
};

namespace multiproc {
namespace {

TEST(TypeName, IntegersAreNamedBySizeNotByTheirCSpelling) {
  // int64_t is long on Linux and long long on Windows; both are "int64" everywhere.
  EXPECT_EQ(TypeName<int64_t>(), "int64");
  EXPECT_EQ(TypeName<long long>(), "int64");
  EXPECT_EQ(TypeName<int32_t>(), "int32");
  EXPECT_EQ(TypeName<uint8_t>(), "uint8");
  EXPECT_EQ(TypeName<const uint16_t>(), "uint16");
  EXPECT_EQ(TypeName<bool>(), "bool");
  EXPECT_EQ(TypeName<char>(), "char");
  EXPECT_EQ(TypeName<float>(), "float32");
  EXPECT_EQ(TypeName<double>(), "float64");
}

TEST(TypeName, StandardTypesAreNamedByWhatTheyHold) {
  EXPECT_EQ(TypeName<std::string>(), "string");
  EXPECT_EQ((TypeName<std::map<std::string, std::vector<double>>>()),
            "map<string,vector<float64>>");
  EXPECT_EQ((TypeName<std::tuple<int, std::optional<bool>, std::variant<char, std::string>>>()),
            "tuple<int32,optional<bool>,variant<char,string>>");
  EXPECT_EQ((TypeName<std::pair<uint64_t, std::array<int16_t, 3>>>()),
            "pair<uint64,array<int16,3>>");
}

TEST(TypeName, OwnTypesAreNamedByTheirQualifiedNameOrTheirSpecialization) {
  EXPECT_EQ(TypeName<geo::Point>(), "geo::Point");
  EXPECT_EQ(TypeName<std::vector<geo::Point>>(), "vector<geo::Point>");
  EXPECT_EQ(TypeName<geo::Box<int>>(), "geo::Box<int32>");
}

}  // namespace
}  // namespace multiproc
