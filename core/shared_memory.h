// SharedMemory: Python's multiprocessing.shared_memory.SharedMemory, a block of memory with a
// name that any process can attach to, for data that outlives (or is made before) the processes
// that use it.
//
//   multiproc::SharedMemory block(std::nullopt, /*create=*/true, 1 << 20);  // a random name
//   std::span<std::byte> bytes = block.buf();
//   // elsewhere, knowing block.name():
//   multiproc::SharedMemory same(name);  // attach; same.size() >= 1 MiB
//
// Errors as Python's: creating a name that exists is FileExistsError, attaching a missing name
// FileNotFoundError, a zero or negative size on create ValueError, a name of more than 200
// characters or outside [A-Za-z0-9_.-] ValueError (the same rules on every platform).
//
// Ownership (Python leaves it to a resource tracker that warns at exit): the process that
// creates the name owns it. unlink() removes the name at once; otherwise the creator's object
// unlinks it when the creator's last copy of it is destroyed. Attached objects, and copies that
// reached other processes (as Process arguments or through handle transport), never unlink on
// their own. A creator that ends without unlinking (killed with kill -9, or exiting without
// destroying the object) leaves nothing behind either: on POSIX a tracker process, started at
// the creator's first create, unlinks the names the creator still owned once it is gone (as
// Python's resource tracker does, but per creating process); on Windows a name lives exactly as
// long as some process holds it.
//
// Copies of a SharedMemory in one process are the same object: close() unmaps it for all of them.
// As a Process argument it travels as its mapping handle, so a child receives it even after
// the name was unlinked.
#ifndef MULTIPROC_CORE_SHARED_MEMORY_H_
#define MULTIPROC_CORE_SHARED_MEMORY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/serialization.h"

namespace multiproc {

class SharedMemory {
 public:
  // Python's SharedMemory(name=None, create=False, size=0). With create, makes a new block of
  // `size` bytes (zero-filled) under `name` or a fresh random one; without, attaches to `name`
  // and size() is the block's size (rounded up to whole pages on Windows, as in Python).
  explicit SharedMemory(std::optional<std::string> name, bool create = false, int64_t size = 0);

  const std::string& name() const;
  size_t size() const;
  // The bytes; ValueError after close().
  std::span<std::byte> buf() const;
  // Unmaps the block in this process (every copy here); the name stays.
  void close();
  // Removes the name; processes that have the block keep it. FileNotFoundError if the name is
  // gone already (on Windows, where names live while held, this only checks the name).
  void unlink();

  void save(cereal::PortableBinaryOutputArchive& archive) const;
  void load(cereal::PortableBinaryInputArchive& archive);
  static SharedMemory LoadFromArchive(internal::InputArchive& archive);

 private:
  struct Mapping;
  SharedMemory() = default;
  std::shared_ptr<Mapping> mapping_;
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_SHARED_MEMORY_H_
