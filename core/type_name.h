// TypeName<T>(): the name a type goes by where two programs must agree on it, such as the element
// type a manager's typed proxies check (a proxy of list<int64> meeting a list of int32 is a
// TypeError). The name is the same under every compiler and platform and reads well in errors:
//
//   multiproc::TypeName<int64_t>()                          // "int64" (long on Linux, long long
//                                                            //  on Windows)
//   multiproc::TypeName<std::map<std::string, double>>()    // "map<string,float64>"
//   multiproc::TypeName<geo::Point>()                       // "geo::Point"
//
// Built in: arithmetic types by kind and size, std::string, and the std containers, optional,
// pair, tuple and variant of named types. Any other type is named by its C++ name without
// "struct "/"class "/"enum ", which GCC, Clang and MSVC spell alike for a type that is not a
// template instance; to choose the name yourself (say, for a template of your own), specialize
//
//   template <> struct multiproc::TypeNameOf<geo::Box<int>> {
//     static std::string Get() { return "geo::Box<int32>"; }
//   };
#ifndef MULTIPROC_CORE_TYPE_NAME_H_
#define MULTIPROC_CORE_TYPE_NAME_H_

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace multiproc {

template <typename T>
struct TypeNameOf;

template <typename T>
std::string TypeName() {
  return TypeNameOf<std::remove_cv_t<T>>::Get();
}

namespace internal {

// The C++ name of `type`, demangled, without the "struct "/"class "/"enum " some compilers add.
std::string PortableClassName(const std::type_info& type);

template <typename... T>
std::string TypeNameList() {
  return absl::StrJoin({TypeName<T>()...}, ",");
}

template <typename... T>
std::string TemplateTypeName(const char* name) {
  return absl::StrCat(name, "<", TypeNameList<T...>(), ">");
}

}  // namespace internal

template <typename T>
struct TypeNameOf {
  static std::string Get() {
    if constexpr (std::is_same_v<T, bool>) {
      return "bool";
    } else if constexpr (std::is_same_v<T, char>) {
      return "char";
    } else if constexpr (std::is_integral_v<T>) {
      return absl::StrCat(std::is_signed_v<T> ? "int" : "uint", sizeof(T) * 8);
    } else if constexpr (std::is_floating_point_v<T>) {
      return absl::StrCat("float", sizeof(T) * 8);
    } else {
      return internal::PortableClassName(typeid(T));
    }
  }
};

template <>
struct TypeNameOf<std::string> {
  static std::string Get() { return "string"; }
};
template <typename T>
struct TypeNameOf<std::vector<T>> {
  static std::string Get() { return internal::TemplateTypeName<T>("vector"); }
};
template <typename T, size_t N>
struct TypeNameOf<std::array<T, N>> {
  static std::string Get() { return absl::StrCat("array<", TypeName<T>(), ",", N, ">"); }
};
template <typename T>
struct TypeNameOf<std::optional<T>> {
  static std::string Get() { return internal::TemplateTypeName<T>("optional"); }
};
template <typename A, typename B>
struct TypeNameOf<std::pair<A, B>> {
  static std::string Get() { return internal::TemplateTypeName<A, B>("pair"); }
};
template <typename... T>
struct TypeNameOf<std::tuple<T...>> {
  static std::string Get() { return internal::TemplateTypeName<T...>("tuple"); }
};
template <typename... T>
struct TypeNameOf<std::variant<T...>> {
  static std::string Get() { return internal::TemplateTypeName<T...>("variant"); }
};
template <typename K, typename V>
struct TypeNameOf<std::map<K, V>> {
  static std::string Get() { return internal::TemplateTypeName<K, V>("map"); }
};
template <typename K, typename V>
struct TypeNameOf<std::unordered_map<K, V>> {
  static std::string Get() { return internal::TemplateTypeName<K, V>("unordered_map"); }
};
template <typename T>
struct TypeNameOf<std::set<T>> {
  static std::string Get() { return internal::TemplateTypeName<T>("set"); }
};
template <typename T>
struct TypeNameOf<std::unordered_set<T>> {
  static std::string Get() { return internal::TemplateTypeName<T>("unordered_set"); }
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_TYPE_NAME_H_
