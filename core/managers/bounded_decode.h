// Decoding what a manager's server receives without trusting it: the same portable binary
// format as Encode (serialization.h), read by an archive that refuses any size (a string's, a
// vector's) larger than the bytes left in the message, so a malformed request is a
// SerializationError and never a huge allocation. Only plain data (no OS handles) decodes here.
//
//   Request request;
//   BoundedDecode(bytes, request);  // SerializationError if it is not a Request
#ifndef MULTIPROC_CORE_MANAGERS_BOUNDED_DECODE_H_
#define MULTIPROC_CORE_MANAGERS_BOUNDED_DECODE_H_

#include <cereal/cereal.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/serialization.h"

namespace multiproc::internal::manager {

class BoundedInputArchive
    : public cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit BoundedInputArchive(std::string_view bytes)
      : cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision>(this),
        bytes_(bytes) {
    uint8_t little_endian = 0;
    Read(&little_endian, 1);
    uint16_t probe = 1;
    uint8_t host_little_endian = 0;
    std::memcpy(&host_little_endian, &probe, 1);
    if (little_endian != host_little_endian) {
      throw cereal::Exception("the message's byte order is not this machine's");
    }
  }

  void Read(void* data, size_t size) {
    if (size > remaining()) throw cereal::Exception("the message ends early");
    if (size == 0) return;  // `data` may be null (an empty string's)
    std::memcpy(data, bytes_.data() + position_, size);
    position_ += size;
  }
  size_t remaining() const { return bytes_.size() - position_; }

 private:
  std::string_view bytes_;
  size_t position_ = 0;
};

template <typename T>
requires std::is_arithmetic_v<T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& archive, T& value) {
  archive.Read(&value, sizeof(value));
}

template <typename T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& archive, cereal::NameValuePair<T>& pair) {
  archive(pair.value);
}

// Every element takes at least one byte of the message, so a count above the bytes left is a
// lie: refused before anything is allocated for it.
template <typename T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& archive, cereal::SizeTag<T>& tag) {
  archive(tag.size);
  if (static_cast<uint64_t>(tag.size) > archive.remaining()) {
    throw cereal::Exception(absl::StrCat("a size of ", static_cast<uint64_t>(tag.size),
                                         " exceeds the ", archive.remaining(), " bytes left"));
  }
}

template <typename T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& archive, cereal::BinaryData<T>& data) {
  archive.Read(data.data, static_cast<size_t>(data.size));
}

// Decodes all of `bytes` into `values`. SerializationError if they do not hold exactly those.
template <typename... T>
void BoundedDecode(std::string_view bytes, T&... values) {
  try {
    BoundedInputArchive archive(bytes);
    archive(values...);
    if (archive.remaining() != 0) {
      throw SerializationError("the message holds more than the expected types");
    }
  } catch (const cereal::Exception& error) {
    throw SerializationError(
        absl::StrCat("cannot decode ", bytes.size(), " bytes: ", error.what()));
  }
}

}  // namespace multiproc::internal::manager

// Half of CEREAL_SETUP_ARCHIVE_TRAITS (the output archive already maps to its own input one):
// lets types with save_minimal/load_minimal (enums) load here.
namespace cereal::traits::detail {
template <>
struct get_output_from_input<multiproc::internal::manager::BoundedInputArchive> {
  using type = cereal::PortableBinaryOutputArchive;
};
}  // namespace cereal::traits::detail

#endif  // MULTIPROC_CORE_MANAGERS_BOUNDED_DECODE_H_
