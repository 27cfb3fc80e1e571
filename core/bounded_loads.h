// Loads of sized containers that never allocate more than the message could hold. cereal resizes
// a std::string, vector, deque or list to the size prefix it reads *before* reading the elements
// (maps and sets grow as elements arrive and need no bound), so a
// corrupt or hostile message (a bootstrap payload, a queue item, a connection message, a manager
// request) could make the receiver allocate gigabytes. These overloads, picked by overload
// resolution over cereal's own for the archives serialization.h constructs, first check the
// prefix against the bytes left in the message and throw cereal::Exception (SerializationError
// at the public API) when it cannot be true. Every element takes at least one byte on the wire.
// A bool is checked too: cereal copies the received byte into it, and any byte but 0 or 1 would
// be undefined behaviour.
#ifndef MULTIPROC_CORE_BOUNDED_LOADS_H_
#define MULTIPROC_CORE_BOUNDED_LOADS_H_

#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>
#include <cstdint>
#include <deque>
#include <istream>
#include <list>
#include <string>
#include <type_traits>
#include <vector>

namespace multiproc::internal {

// Implemented by the input archive serialization.h constructs: the bytes not yet decoded.
class RemainingBytes {
 public:
  virtual std::uint64_t remaining() const = 0;

 protected:
  ~RemainingBytes() = default;
};

// Throws unless `count` elements of at least `element_bytes` bytes each can follow. Archives
// built elsewhere (none in multiproc) are not checked.
inline void RequireRoomFor(cereal::PortableBinaryInputArchive& archive, std::uint64_t count,
                           std::uint64_t element_bytes) {
  const auto* known = dynamic_cast<const RemainingBytes*>(&archive);
  if (known == nullptr) return;
  std::uint64_t remaining = known->remaining();
  if (element_bytes != 0 && count > remaining / element_bytes) {
    throw cereal::Exception("a size prefix of " + std::to_string(count) +
                            " elements is larger than the " + std::to_string(remaining) +
                            " bytes left in the message");
  }
}

}  // namespace multiproc::internal

namespace cereal {

template <class CharT, class Traits, class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive,
                               std::basic_string<CharT, Traits, Alloc>& text) {
  size_type size = 0;
  archive(make_size_tag(size));
  multiproc::internal::RequireRoomFor(archive, size, sizeof(CharT));
  text.resize(static_cast<std::size_t>(size));
  archive(binary_data(text.data(), static_cast<std::size_t>(size) * sizeof(CharT)));
}

inline void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive, bool& flag) {
  std::uint8_t byte = 0;
  archive(byte);
  if (byte > 1)
    throw cereal::Exception("a bool must be sent as 0 or 1, not " + std::to_string(byte));
  flag = byte == 1;
}

template <class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive,
                               std::vector<bool, Alloc>& flags) {
  size_type size = 0;
  archive(make_size_tag(size));
  multiproc::internal::RequireRoomFor(archive, size, 1);
  flags.resize(static_cast<std::size_t>(size));
  for (auto&& flag : flags) {
    bool value = false;
    archive(value);
    flag = value;
  }
}

// The containers cereal resizes to their size prefix before loading the elements one by one.
template <class Container>
void LoadResizedSequence(PortableBinaryInputArchive& archive, Container& container) {
  using Element = typename Container::value_type;
  size_type size = 0;
  archive(make_size_tag(size));
  // Empty types may take no bytes at all; they cost no memory worth bounding beyond this.
  multiproc::internal::RequireRoomFor(archive, size, std::is_empty_v<Element> ? 0 : 1);
  container.resize(static_cast<std::size_t>(size));
  for (Element& element : container) archive(element);
}

template <class T, class Alloc>
requires(!std::is_same_v<T, bool>) void CEREAL_LOAD_FUNCTION_NAME(
    PortableBinaryInputArchive& archive, std::vector<T, Alloc>& vector) {
  if constexpr (std::is_arithmetic_v<T>) {
    size_type size = 0;
    archive(make_size_tag(size));
    multiproc::internal::RequireRoomFor(archive, size, sizeof(T));
    vector.resize(static_cast<std::size_t>(size));
    archive(binary_data(vector.data(), static_cast<std::size_t>(size) * sizeof(T)));
  } else {
    LoadResizedSequence(archive, vector);
  }
}

template <class T, class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive, std::deque<T, Alloc>& deque) {
  LoadResizedSequence(archive, deque);
}

template <class T, class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive, std::list<T, Alloc>& list) {
  LoadResizedSequence(archive, list);
}

}  // namespace cereal

#endif  // MULTIPROC_CORE_BOUNDED_LOADS_H_
