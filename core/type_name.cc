#include "core/type_name.h"

#include <boost/core/demangle.hpp>
#include <string_view>

namespace multiproc::internal {

namespace {

bool StartsAWord(const std::string& text, size_t at) {
  return at == 0 || std::string_view("<,( ").find(text[at - 1]) != std::string_view::npos;
}

}  // namespace

std::string PortableClassName(const std::type_info& type) {
  // MSVC's names say "struct geo::Point" and "class std::..." where GCC and Clang say neither.
  std::string name = boost::core::demangle(type.name());
  for (std::string_view keyword : {"struct ", "class ", "enum "}) {
    for (size_t at = name.find(keyword); at != std::string::npos; at = name.find(keyword, at)) {
      if (StartsAWord(name, at)) {
        name.erase(at, keyword.size());
      } else {
        at += keyword.size();
      }
    }
  }
  return name;
}

}  // namespace multiproc::internal
