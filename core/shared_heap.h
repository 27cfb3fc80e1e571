// The shared heap: small shared objects (a Value, a Lock's state) are carved out of large shared
// memory chunks instead of costing one mapping and one handle each, as CPython's heap does.
// A SharedBlock serializes as (chunk handle, offset, size, chunk id); a receiving process maps
// each chunk once, however many blocks of it arrive, so 10,000 Values cost one handle.
//
//   internal::SharedBlock block = internal::SharedBlock::Allocate(sizeof(int64_t));
//   new (block.data()) std::atomic<int64_t>(0);
//
// Reuse. The process that carved a block (its creator) puts it on its own free list, by size
// class, once the block is unreachable everywhere; only the creator hands it out again. Each
// small block is preceded in shared memory by an atomic count of the references to it held
// outside its creator's own copies:
// - encoding a block into a message adds one (the message's reference); each decoded copy owns
//   one and gives it back when its last copy in the receiving process goes. A block encoded N
//   times in one message is decoded N times, so the count balances; no transport decodes one
//   encoding twice (Pool initargs are encoded once per worker).
// - fork: while fork runs, the heap is locked and every block live in the parent gains one; in
//   the child each inherited block owns that one, the child's free lists and current chunk are
//   forgotten (the parent carves from them), and a fork child gives its references back as it
//   exits (it runs its own exit handlers but not the destructors it inherited).
// - the creator's last copy gone: the block is reused if the count is zero, else it waits on a
//   pending list that the allocator rechecks when that list has doubled.
// What leaks (never reused, freed with its chunk once no process maps it): blocks a crashed or
// killed process still referred to, blocks in messages never decoded (an unread message, a failed
// send, an encoding rejected because the channel takes no handles), and blocks whose creator
// exited first. A block is never handed out while a process may still use it.
// Large blocks (over a quarter chunk) have a chunk of their own, freed when no process maps it.
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

struct BlockLease;

// A piece of a shared chunk. Copies refer to the same bytes; the chunk stays mapped while any
// block of it lives in this process, and exists while any process maps it.
class SharedBlock {
 public:
  SharedBlock() = default;

  // Zero-filled shared bytes. Requests above a quarter chunk get a chunk of their own.
  static SharedBlock Allocate(size_t size, size_t alignment = alignof(std::max_align_t));

  void* data() const;
  size_t size() const;
  bool valid() const { return lease_ != nullptr; }

  // For serialization (core/serialization.h): the chunk this block lives in.
  const HeapChunk& chunk() const;
  size_t offset() const;
  // Called for each encoding of this block into a message: the message now holds a reference
  // that the block its receiver decodes gives back.
  void CountMessageReference() const;
  // Rebuilds a received block, which owns one message reference; `chunk` comes from
  // AdoptReceivedChunk. Throws SerializationError for a block outside its chunk.
  static SharedBlock Received(std::shared_ptr<HeapChunk> chunk, size_t offset, size_t size);

 private:
  explicit SharedBlock(std::shared_ptr<BlockLease> lease) : lease_(std::move(lease)) {}
  std::shared_ptr<BlockLease> lease_;  // one per block per process, shared by its copies
};

// Brackets fork() (the fork start method, the forkserver): holds the heap lock across it and
// counts the child's inherited copies of every live block before the parent can drop its own.
class HeapForkGuard {
 public:
  HeapForkGuard();
  HeapForkGuard(const HeapForkGuard&) = delete;
  HeapForkGuard& operator=(const HeapForkGuard&) = delete;
  // A guard never told the outcome assumes a child exists: a leak, never a reuse.
  ~HeapForkGuard();

  // First thing in the child: inherited blocks become references the child gives back when it
  // exits (after its own exit handlers), and new allocations come from chunks of its own.
  void InChild();
  // In the parent once fork returned; `forked` false takes the counts back.
  void InParent(bool forked);

 private:
  bool finished_ = false;
};

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
