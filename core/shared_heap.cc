#include "core/shared_heap.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/status_errors.h"
#include "platform/crypto.h"

namespace multiproc::internal {

namespace {

constexpr size_t kChunkSize = size_t{1} << 20;
// Each chunk starts with its id, so a receiver can check it mapped the chunk it was told about.
constexpr size_t kChunkHeaderBytes = 64;
constexpr size_t kLargeThreshold = kChunkSize / 4;
// Just before each block: the count of references held outside its creator's copies.
using ReferenceCount = std::atomic<uint64_t>;
constexpr size_t kCountBytes = sizeof(ReferenceCount);
constexpr size_t kPageBytes = 4096;
// The pending list is rechecked when it has doubled since the last check, and not below this.
constexpr size_t kFirstPendingRecheck = 64;

size_t RoundUp(size_t value, size_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

// Size classes: powers of two up to a page, whole pages above.
size_t CapacityFor(size_t size) {
  return size <= kPageBytes ? std::bit_ceil(std::max(size, kCountBytes))
                            : RoundUp(size, kPageBytes);
}

ReferenceCount& OutsideReferences(const HeapChunk& chunk, size_t offset) {
  return *reinterpret_cast<ReferenceCount*>(static_cast<char*>(chunk.memory.data()) + offset -
                                            kCountBytes);
}

struct FreeBlock {
  std::shared_ptr<HeapChunk> chunk;
  size_t offset = 0;
};

using SizeClass = std::pair<size_t, size_t>;  // capacity, alignment

struct PendingBlock {
  FreeBlock block;
  SizeClass size_class;
};

}  // namespace

// This process's hold on one block; every copy of the block here shares it.
struct BlockLease {
  std::shared_ptr<HeapChunk> chunk;
  size_t offset = 0;
  size_t size = 0;
  SizeClass size_class{0, 0};  // capacity 0: a large block, never put on a free list
  bool created_here = false;   // else the lease owns one reference in the block's count
  bool released = false;       // ReleaseBlocksAtExit gave that reference back
  bool linked = false;         // on the heap's list of live leases
  BlockLease* previous = nullptr;
  BlockLease* next = nullptr;
  ~BlockLease();
};

namespace {

struct Heap {
  std::mutex mutex;
  std::shared_ptr<HeapChunk> current;  // where small blocks are carved from
  size_t used = 0;                     // bytes of `current` handed out, header included
  std::map<std::array<uint8_t, 16>, std::weak_ptr<HeapChunk>> mapped;
  BlockLease* live = nullptr;  // every lease of this process, for fork
  std::map<SizeClass, std::vector<FreeBlock>> free;
  std::vector<PendingBlock> pending;  // created here, dropped here, still referred to elsewhere
  size_t recheck_pending_at = kFirstPendingRecheck;
};

Heap& TheHeap() {
  // Never destroyed: blocks may outlive static destruction.
  static Heap* heap = new Heap();
  return *heap;
}

// Caller holds the heap mutex. Forgets chunks no block uses any more on the way.
void RememberLocked(Heap& heap, const std::shared_ptr<HeapChunk>& chunk) {
  std::erase_if(heap.mapped, [](const auto& entry) { return entry.second.expired(); });
  heap.mapped[chunk->id] = chunk;
}

// Caller holds the heap mutex.
std::shared_ptr<HeapChunk> NewChunkLocked(Heap& heap, size_t size) {
  auto chunk = std::make_shared<HeapChunk>();
  chunk->memory =
      ValueOrThrow(platform::SharedMemory::CreateUnnamed(size), "allocating shared memory");
  ThrowIfError(platform::FillRandom(absl::MakeSpan(reinterpret_cast<std::byte*>(chunk->id.data()),
                                                   chunk->id.size())),
               "naming a shared memory chunk");
  std::memcpy(chunk->memory.data(), chunk->id.data(), chunk->id.size());
  RememberLocked(heap, chunk);
  return chunk;
}

void LinkLocked(Heap& heap, BlockLease& lease) {
  lease.next = heap.live;
  if (heap.live != nullptr) heap.live->previous = &lease;
  heap.live = &lease;
  lease.linked = true;
}

void UnlinkLocked(Heap& heap, BlockLease& lease) {
  if (lease.previous != nullptr) lease.previous->next = lease.next;
  if (lease.next != nullptr) lease.next->previous = lease.previous;
  if (heap.live == &lease) heap.live = lease.next;
}

template <typename Visit>
void ForEachLiveLocked(Heap& heap, Visit visit) {
  for (BlockLease* lease = heap.live; lease != nullptr; lease = lease->next) visit(*lease);
}

// Caller holds the heap mutex. Moves the pending blocks nobody else refers to any more onto the
// free lists.
void RecheckPendingLocked(Heap& heap) {
  std::erase_if(heap.pending, [&heap](PendingBlock& waiting) {
    FreeBlock& block = waiting.block;
    if (OutsideReferences(*block.chunk, block.offset).load(std::memory_order_acquire) != 0) {
      return false;
    }
    heap.free[waiting.size_class].push_back(std::move(block));
    return true;
  });
  heap.recheck_pending_at = std::max(kFirstPendingRecheck, 2 * heap.pending.size());
}

// Caller holds the heap mutex. Gives `lease` a freed block of its size class, if there is one.
bool TakeFreeLocked(Heap& heap, BlockLease& lease) {
  std::vector<FreeBlock>& blocks = heap.free[lease.size_class];
  if (blocks.empty() && heap.pending.size() >= heap.recheck_pending_at) {
    RecheckPendingLocked(heap);
  }
  if (blocks.empty()) return false;
  lease.chunk = std::move(blocks.back().chunk);
  lease.offset = blocks.back().offset;
  blocks.pop_back();
  return true;
}

// Caller holds the heap mutex. Gives `lease` never-used bytes of the current chunk.
void CarveLocked(Heap& heap, BlockLease& lease) {
  auto [capacity, alignment] = lease.size_class;
  size_t offset = RoundUp(heap.used + kCountBytes, alignment);
  if (heap.current == nullptr || offset + capacity > kChunkSize) {
    heap.current = NewChunkLocked(heap, kChunkSize);
    offset = RoundUp(kChunkHeaderBytes + kCountBytes, alignment);
  }
  heap.used = offset + capacity;
  lease.chunk = heap.current;
  lease.offset = offset;
}

// Caller holds the heap mutex. The creator's last copy of a small block is gone.
void RecycleLocked(Heap& heap, BlockLease& lease) {
  FreeBlock block{std::move(lease.chunk), lease.offset};
  if (OutsideReferences(*block.chunk, block.offset).load(std::memory_order_acquire) == 0) {
    heap.free[lease.size_class].push_back(std::move(block));
  } else {
    heap.pending.push_back(PendingBlock{std::move(block), lease.size_class});
  }
}

}  // namespace

BlockLease::~BlockLease() {
  if (!linked) return;  // allocation failed
  Heap& heap = TheHeap();
  std::lock_guard<std::mutex> lock(heap.mutex);
  UnlinkLocked(heap, *this);
  if (released) return;
  if (!created_here) {
    OutsideReferences(*chunk, offset).fetch_sub(1, std::memory_order_acq_rel);
  } else if (size_class.first != 0) {
    RecycleLocked(heap, *this);
  }
}

void* SharedBlock::data() const {
  return static_cast<char*>(lease_->chunk->memory.data()) + lease_->offset;
}

size_t SharedBlock::size() const { return lease_ == nullptr ? 0 : lease_->size; }

const HeapChunk& SharedBlock::chunk() const { return *lease_->chunk; }

size_t SharedBlock::offset() const { return lease_->offset; }

void SharedBlock::CountMessageReference() const {
  OutsideReferences(*lease_->chunk, lease_->offset).fetch_add(1, std::memory_order_acq_rel);
}

SharedBlock SharedBlock::Allocate(size_t size, size_t alignment) {
  auto lease = std::make_shared<BlockLease>();
  lease->size = std::max<size_t>(size, 1);
  lease->created_here = true;
  bool reused = false;
  Heap& heap = TheHeap();
  {
    std::lock_guard<std::mutex> lock(heap.mutex);
    if (lease->size > kLargeThreshold) {
      lease->chunk = NewChunkLocked(heap, RoundUp(kChunkHeaderBytes + lease->size, kPageBytes));
      lease->offset = kChunkHeaderBytes;
    } else {
      lease->size_class = {CapacityFor(lease->size), std::max(alignment, kCountBytes)};
      reused = TakeFreeLocked(heap, *lease);
      if (!reused) CarveLocked(heap, *lease);
    }
    LinkLocked(heap, *lease);
  }
  SharedBlock block(std::move(lease));
  if (reused) std::memset(block.data(), 0, block.size());
  return block;
}

SharedBlock SharedBlock::Received(std::shared_ptr<HeapChunk> chunk, size_t offset, size_t size) {
  if (offset < kChunkHeaderBytes || offset % kCountBytes != 0 || offset + size < offset ||
      offset + size > chunk->memory.size()) {
    throw SerializationError("a received shared block lies outside its chunk");
  }
  auto lease = std::make_shared<BlockLease>();
  lease->chunk = std::move(chunk);
  lease->offset = offset;
  lease->size = size;
  Heap& heap = TheHeap();
  std::lock_guard<std::mutex> lock(heap.mutex);
  LinkLocked(heap, *lease);
  return SharedBlock(std::move(lease));
}

HeapForkGuard::HeapForkGuard() {
  Heap& heap = TheHeap();
  heap.mutex.lock();
  ForEachLiveLocked(heap, [](BlockLease& lease) {
    OutsideReferences(*lease.chunk, lease.offset).fetch_add(1, std::memory_order_acq_rel);
  });
}

HeapForkGuard::~HeapForkGuard() {
  if (!finished_) InParent(true);
}

// Registered by a fork child with std::atexit: it exits without running the destructors it
// inherited, so the references its inherited and received blocks own are given back here, after
// the exit handlers it registered itself (which may still use them).
void ReleaseBlocksAtExit() {
  Heap& heap = TheHeap();
  std::lock_guard<std::mutex> lock(heap.mutex);
  ForEachLiveLocked(heap, [](BlockLease& lease) {
    if (lease.created_here || lease.released) return;
    OutsideReferences(*lease.chunk, lease.offset).fetch_sub(1, std::memory_order_acq_rel);
    lease.released = true;
  });
}

void HeapForkGuard::InChild() {
  finished_ = true;
  Heap& heap = TheHeap();
  // The forking thread held it; a fresh one is simpler than reasoning about who may unlock.
  new (&heap.mutex) std::mutex();
  ForEachLiveLocked(heap, [](BlockLease& lease) { lease.created_here = false; });
  // The parent carves from these and reuses those: the child must never hand them out too.
  heap.current.reset();
  heap.used = 0;
  heap.free.clear();
  heap.pending.clear();
  heap.recheck_pending_at = kFirstPendingRecheck;
  std::atexit(ReleaseBlocksAtExit);  // if there is no room, the references leak: never a reuse
}

void HeapForkGuard::InParent(bool forked) {
  finished_ = true;
  Heap& heap = TheHeap();
  if (!forked) {
    ForEachLiveLocked(heap, [](BlockLease& lease) {
      OutsideReferences(*lease.chunk, lease.offset).fetch_sub(1, std::memory_order_acq_rel);
    });
  }
  heap.mutex.unlock();
}

std::shared_ptr<HeapChunk> FindMappedChunk(const std::array<uint8_t, 16>& id) {
  Heap& heap = TheHeap();
  std::lock_guard<std::mutex> lock(heap.mutex);
  auto found = heap.mapped.find(id);
  return found == heap.mapped.end() ? nullptr : found->second.lock();
}

std::shared_ptr<HeapChunk> AdoptReceivedChunk(platform::OwnedHandle handle, size_t size,
                                              const std::array<uint8_t, 16>& id) {
  absl::StatusOr<platform::SharedMemory> memory =
      platform::SharedMemory::FromHandle(std::move(handle), size);
  if (!memory.ok() || size < kChunkHeaderBytes ||
      std::memcmp(memory->data(), id.data(), id.size()) != 0) {
    throw SerializationError(
        absl::StrCat("a received shared memory chunk could not be mapped or is not the one "
                     "named: ",
                     memory.ok() ? "id mismatch" : memory.status().message()));
  }
  auto chunk = std::make_shared<HeapChunk>();
  chunk->memory = std::move(*memory);
  chunk->id = id;
  Heap& heap = TheHeap();
  std::lock_guard<std::mutex> lock(heap.mutex);
  RememberLocked(heap, chunk);
  return chunk;
}

size_t MappedHeapBytes() {
  Heap& heap = TheHeap();
  std::lock_guard<std::mutex> lock(heap.mutex);
  size_t bytes = 0;
  for (const auto& [id, weak_chunk] : heap.mapped) {
    if (std::shared_ptr<HeapChunk> chunk = weak_chunk.lock()) bytes += chunk->memory.size();
  }
  return bytes;
}

}  // namespace multiproc::internal
