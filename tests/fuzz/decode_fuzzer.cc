// cereal decoding as every receiver does it (arguments, results, queue items, messages):
// SerializationError or a value, never a crash or an allocation the bytes cannot justify.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "core/serialization.h"

namespace {

template <typename... T>
void TryDecode(const std::string& bytes) {
  multiproc::HandleTable no_handles;
  try {
    std::tuple<T...> values = multiproc::internal::DecodeArguments<T...>(bytes, no_handles);
    (void)values;
  } catch (const multiproc::SerializationError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the shape; the rest is the message.
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      TryDecode<std::string, int64_t>(bytes);
      break;
    case 1:
      TryDecode<std::vector<std::string>>(bytes);
      break;
    case 2:
      TryDecode<std::map<std::string, std::vector<int64_t>>>(bytes);
      break;
    case 3:
      TryDecode<std::variant<int, std::string, double>, std::optional<std::string>>(bytes);
      break;
    case 4:
      TryDecode<std::vector<std::vector<double>>, bool>(bytes);
      break;
    default:
      TryDecode<std::tuple<uint8_t, std::u32string>, std::vector<bool>>(bytes);
      break;
  }
  return 0;
}
