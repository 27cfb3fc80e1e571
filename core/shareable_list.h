// ShareableList: Python's multiprocessing.shared_memory.ShareableList, a fixed-length list of
// simple values (None, int64, double, bool, string, bytes) laid out in named SharedMemory, so any
// process can attach to it by name and read or write items in place.
//
//   multiproc::ShareableList list({1, 2.5, true, "abc"});
//   list.set(3, std::string("xyz"));      // strings and bytes fit their slot's capacity
//   multiproc::ShareableList same = multiproc::ShareableList::Attach(list.shm().name());
//   double d = std::get<double>(same.get(1));
//
// As in Python, the length is fixed at creation and each slot's capacity too: at least 8 bytes,
// for a string or bytes the next multiple of 8 above its length. Any item may replace any other
// if it fits (ValueError otherwise); indices may be negative (from the end); a bad index is
// std::out_of_range. Accesses are not synchronized (as in Python): guard concurrent writers
// with a Lock. The list's SharedMemory follows SharedMemory's ownership rules: the creator
// unlinks the name (shm().unlink(), or when its last copy goes).
#ifndef MULTIPROC_CORE_SHAREABLE_LIST_H_
#define MULTIPROC_CORE_SHAREABLE_LIST_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/shared_memory.h"

namespace multiproc {

class ShareableList {
 public:
  // std::monostate is Python's None; std::vector<uint8_t> is bytes.
  using Item =
      std::variant<std::monostate, int64_t, double, bool, std::string, std::vector<uint8_t>>;

  // Creates the list in new shared memory named `name` (a random name if none).
  explicit ShareableList(const std::vector<Item>& items,
                         std::optional<std::string> name = std::nullopt);
  // Python's ShareableList(name=name). FileNotFoundError if missing; ValueError if the memory
  // does not hold a ShareableList.
  static ShareableList Attach(const std::string& name);

  size_t size() const { return size_; }
  Item get(int64_t index) const;
  void set(int64_t index, const Item& value);
  // How many items equal `value`; where the first one is (ValueError if none).
  size_t count(const Item& value) const;
  size_t index(const Item& value) const;
  const SharedMemory& shm() const { return shm_; }

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(shm_);
    Validate();
  }
  static ShareableList LoadFromArchive(internal::InputArchive& archive);

 private:
  struct Slot;
  explicit ShareableList(SharedMemory shm);
  static size_t TableEnd(size_t count);
  static SharedMemory CreateMemoryFor(const std::vector<Item>& items,
                                      std::optional<std::string> name);
  void Validate();
  Slot& slot(int64_t index) const;

  SharedMemory shm_;
  size_t size_ = 0;
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_SHAREABLE_LIST_H_
