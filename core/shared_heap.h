// The shared heap: small shared objects (a Value, a Lock's state) are carved out of large shared
// memory chunks instead of costing one mapping and one handle each, as CPython's heap does.
// A SharedBlock serializes as (chunk handle, offset, size, chunk id); a receiving process maps
// each chunk once, however many blocks of it arrive, so 10,000 Values cost one handle.
//
//   internal::SharedBlock block = internal::SharedBlock::Allocate(sizeof(int64_t));
//   new (block.data()) std::atomic<int64_t>(0);
#ifndef MULTIPROC_CORE_SHARED_HEAP_H_
#define MULTIPROC_CORE_SHARED_HEAP_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "platform/shared_memory.h"

namespace multiproc::internal {

// A chunk of shared memory as mapped in this process.
struct HeapChunk {
  platform::SharedMemory memory;
  std::array<uint8_t, 16> id{};
};

// A piece of a shared chunk. Copies refer to the same bytes; the chunk stays mapped while any
// block of it lives in this process, and exists while any process maps it.
class SharedBlock {
 public:
  SharedBlock() = default;

  // Zero-filled shared bytes. Requests above the chunk size get a chunk of their own.
  static SharedBlock Allocate(size_t size, size_t alignment = alignof(std::max_align_t));

  void* data() const;
  size_t size() const { return size_; }
  bool valid() const { return chunk_ != nullptr; }

  // For serialization (core/serialization.h): the chunk this block lives in.
  const HeapChunk& chunk() const { return *chunk_; }
  size_t offset() const { return offset_; }
  // Rebuilds a received block; `chunk` comes from AdoptReceivedChunk.
  SharedBlock(std::shared_ptr<HeapChunk> chunk, size_t offset, size_t size);

 private:
  std::shared_ptr<HeapChunk> chunk_;
  size_t offset_ = 0;
  size_t size_ = 0;
};

// In a freshly forked child: new allocations must come from chunks of the child's own. The
// inherited current chunk is shared with the parent and every sibling, so carving from it would
// hand two processes the same "fresh" object (CPython resets its heap after fork likewise).
void ForgetCurrentChunkAfterFork();

// The chunk with `id` if this process has it mapped already, else nullptr.
std::shared_ptr<HeapChunk> FindMappedChunk(const std::array<uint8_t, 16>& id);

// Maps a received chunk and remembers it under its id. Throws SerializationError if the region
// cannot be mapped or does not carry `id`.
std::shared_ptr<HeapChunk> AdoptReceivedChunk(platform::OwnedHandle handle, size_t size,
                                              const std::array<uint8_t, 16>& id);

// The bytes of shared heap chunks this process has mapped, for tests that check the heap stays
// bounded.
size_t MappedHeapBytes();

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_SHARED_HEAP_H_
