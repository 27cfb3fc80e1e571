#include "core/queue_ring.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/errors.h"
#include "core/queue_wakeup.h"
#include "platform/process.h"

namespace multiproc::internal {

namespace {

constexpr uint64_t kMagic = 0x6d70517565756531;  // "mpQueue1"
// A producer that finds the ring empty further in than this wraps back to the start.
constexpr uint64_t kHotBytes = uint64_t{256} << 10;
constexpr uint32_t kSemaphoreMaximum = 0x7fffffff;

constexpr uint32_t kFirst = 1;  // the first chunk of an item
constexpr uint32_t kLast = 2;   // the last chunk of an item
constexpr uint32_t kWrap = 4;   // filler up to the end of the ring; no item

uint64_t RoundUp8(uint64_t value) { return (value + 7) & ~uint64_t{7}; }

// Python's deadline rules: block = false tries once; no timeout waits forever; a negative
// timeout is zero.
absl::Time DeadlineFor(bool block, Timeout timeout) {
  if (!block) return absl::InfinitePast();
  if (!timeout.has_value()) return absl::InfiniteFuture();
  return absl::Now() + std::max(*timeout, absl::ZeroDuration());
}

// Releases a lock when the scope ends, however it ends.
class Holding {
 public:
  explicit Holding(QueueLock lock) : lock_(lock) {}
  Holding(const Holding&) = delete;
  Holding& operator=(const Holding&) = delete;
  ~Holding() { lock_.Release(); }

 private:
  QueueLock lock_;
};

}  // namespace

struct QueueRing::Header {
  uint64_t magic;
  uint32_t kind;
  uint32_t reserved;
  uint64_t capacity;
  int64_t maxsize;
  // One cache line per writer, so that a producer and a consumer running side by side do not
  // pull each other's lines for anything but the ring itself and one look at the other's end.
  // Written by the read-lock holder only:
  alignas(64) QueueLock::Shared read_lock;
  std::atomic<uint64_t> head;
  std::atomic<int64_t> items_taken;  // complete items taken (or lost with a dead consumer)
  // Written by the write-lock holder only:
  alignas(64) QueueLock::Shared write_lock;
  std::atomic<uint64_t> tail;
  std::atomic<int64_t> items_put;  // complete items published
  // Written by sleepers only, read by notifiers:
  alignas(64) std::atomic<uint32_t> data_waiters;
  std::atomic<uint32_t> room_waiters;
  std::atomic<uint32_t> join_waiters;
  alignas(64) std::atomic<int64_t> unfinished_tasks;
  alignas(64) QueueHolders::Shared holders;
};

struct QueueRing::ChunkHeader {
  // The chunk's position + 1, stored last (release): the consumer learns that the chunk at head
  // is complete from the chunk itself, without touching the producers' cache line. Chunks start
  // 8-aligned, so this word never straddles the ring's end; + 1 keeps fresh zeroes from matching.
  uint64_t published;
  uint64_t length;     // payload bytes in this chunk
  uint64_t item_size;  // payload bytes of the whole item
  int64_t writer;      // the producer's pid, watched while a streamed item arrives
  uint32_t flags;
  uint32_t reserved;
};

namespace {

constexpr size_t kRingOffset = (sizeof(QueueRing::Header) + 63) / 64 * 64;

uint64_t ChunkBytes(uint64_t length) { return RoundUp8(sizeof(QueueRing::ChunkHeader) + length); }

}  // namespace

QueueRing::QueueRing(Kind kind, int64_t maxsize, size_t capacity_bytes) : kind_(kind) {
  if (maxsize > kMaximumMaxsize) {
    throw ValueError(absl::StrCat("Queue maxsize ", maxsize, " exceeds the largest supported, ",
                                  kMaximumMaxsize));
  }
  if (capacity_bytes < kMinimumCapacity || capacity_bytes > kMaximumCapacity) {
    throw ValueError(absl::StrCat("Queue capacity of ", capacity_bytes, " bytes is outside [",
                                  kMinimumCapacity, ", ", kMaximumCapacity, "]"));
  }
  uint64_t capacity = std::bit_ceil(static_cast<uint64_t>(capacity_bytes));
  block_ = SharedBlock::Allocate(kRingOffset + capacity, 64);
  Header* shared = header_ = new (block_.data()) Header{};
  shared->magic = kMagic;
  shared->kind = static_cast<uint32_t>(kind);
  shared->capacity = capacity;
  shared->maxsize = std::max<int64_t>(maxsize, 0);
  auto signal = [] { return SemLock(SemLock::Kind::kSemaphore, 0, kSemaphoreMaximum); };
  locks_ = Locks{signal(), signal(), signal(), signal(), signal()};
  registered_pid_ = platform::CurrentProcessId();
  holders().RegisterCreator(registered_pid_);
}

QueueRing::QueueRing(Kind kind, SharedBlock block, Locks locks)
    : kind_(kind),
      block_(std::move(block)),
      header_(static_cast<Header*>(block_.data())),
      locks_(std::move(locks)) {}

QueueRing::Header& QueueRing::header() const { return *header_; }

char* QueueRing::ring() const { return reinterpret_cast<char*>(header_) + kRingOffset; }

QueueHolders QueueRing::holders() const { return QueueHolders(&header().holders); }

QueueLock QueueRing::read_lock() { return QueueLock(header().read_lock, locks_.read); }
QueueLock QueueRing::write_lock() { return QueueLock(header().write_lock, locks_.write); }

// Taken first: every item taken was put before, so the difference is never below zero.
int64_t QueueRing::Size() const {
  int64_t taken = header().items_taken.load();
  return std::max<int64_t>(header().items_put.load() - taken, 0);
}
int64_t QueueRing::maxsize() const { return header().maxsize; }
size_t QueueRing::capacity() const { return static_cast<size_t>(header().capacity); }

void QueueRing::RegisterIfNew(int64_t pid) {
  if (pid == registered_pid_) return;
  holders().Register(pid);  // a fork child using an inherited copy
  registered_pid_ = pid;
}

void QueueRing::CheckOpen(const char* operation) const {
  if (closed_) throw ValueError(absl::StrCat("Queue.", operation, ": the queue is closed"));
}

void QueueRing::Close() {
  closed_ = true;
  holders().MarkClosed(platform::CurrentProcessId());
}

void QueueRing::CopyIn(uint64_t position, const void* source, size_t size) const {
  uint64_t capacity = header().capacity;
  size_t offset = static_cast<size_t>(position & (capacity - 1));
  size_t first = std::min<size_t>(size, capacity - offset);
  std::memcpy(ring() + offset, source, first);
  std::memcpy(ring(), static_cast<const char*>(source) + first, size - first);
}

void QueueRing::CopyOut(uint64_t position, void* destination, size_t size) const {
  uint64_t capacity = header().capacity;
  size_t offset = static_cast<size_t>(position & (capacity - 1));
  size_t first = std::min<size_t>(size, capacity - offset);
  std::memcpy(destination, ring() + offset, first);
  std::memcpy(static_cast<char*>(destination) + first, ring(), size - first);
}

// ---- Producers ----

bool QueueRing::RoomHint(uint64_t bytes, bool for_new_item) const {
  const Header& shared = header();
  if (for_new_item && shared.maxsize > 0 && Size() >= shared.maxsize) return false;
  uint64_t head = shared.head.load();  // first: then tail - head cannot go below zero
  return shared.tail.load() - head <= shared.capacity - bytes;
}

// The write-lock holder's check. The consumers' head is read only when the last value seen
// shows too little room (head only grows, so an old value errs on the side of less room).
bool QueueRing::HasRoom(uint64_t bytes, bool for_new_item) {
  const Header& shared = header();
  if (for_new_item && shared.maxsize > 0 && Size() >= shared.maxsize) return false;
  uint64_t tail = shared.tail.load(std::memory_order_relaxed);
  // An old head may lie more than a ring behind the tail: then it says nothing.
  if (tail - seen_head_ <= shared.capacity - bytes) return true;
  seen_head_ = shared.head.load();
  return tail - seen_head_ <= shared.capacity - bytes;
}

bool QueueRing::WaitForRoom(uint64_t bytes, bool for_new_item, absl::Time deadline) {
  auto ready = [&] { return RoomHint(bytes, for_new_item); };
  return SpinUntil(ready) || SleepUntil(header().room_waiters, locks_.room, deadline, ready);
}

// Waiting for room without the write lock lets other producers (whose items may fit) and
// put_nowait callers proceed.
bool QueueRing::AcquireWriterWithRoom(uint64_t bytes, absl::Time deadline) {
  int64_t self = platform::CurrentProcessId();
  RegisterIfNew(self);
  for (;;) {
    if (!write_lock().Acquire(self, deadline)) return false;
    if (HasRoom(bytes, true)) return true;
    write_lock().Release();
    if (!WaitForRoom(bytes, true, deadline)) return false;
  }
}

void QueueRing::WrapToStartIfEmpty(uint64_t bytes) {
  Header& shared = header();
  uint64_t tail = shared.tail.load(std::memory_order_relaxed);
  uint64_t offset = tail & (shared.capacity - 1);
  if (offset <= kHotBytes) return;
  seen_head_ = shared.head.load();
  uint64_t filler = shared.capacity - offset;
  if (seen_head_ != tail || filler < sizeof(ChunkHeader) || filler + bytes > shared.capacity) {
    return;
  }
  PublishChunk(kWrap, nullptr, filler - sizeof(ChunkHeader), 0);
}

std::atomic_ref<uint64_t> QueueRing::PublishedWord(uint64_t position) const {
  return std::atomic_ref<uint64_t>(
      *reinterpret_cast<uint64_t*>(ring() + (position & (header().capacity - 1))));
}

void QueueRing::PublishChunk(uint32_t flags, const void* payload, uint64_t length,
                             uint64_t item_size) {
  Header& shared = header();
  uint64_t tail = shared.tail.load(std::memory_order_relaxed);
  ChunkHeader chunk{0, length, item_size, registered_pid_, flags, 0};
  constexpr size_t kWord = sizeof(chunk.published);
  CopyIn(tail + kWord, reinterpret_cast<const char*>(&chunk) + kWord, sizeof(chunk) - kWord);
  if (payload != nullptr) CopyIn(tail + sizeof(chunk), payload, static_cast<size_t>(length));
  if ((flags & kLast) != 0) {
    // Counted before it becomes visible, so a fast consumer never drives the counts negative.
    shared.items_put.store(shared.items_put.load(std::memory_order_relaxed) + 1);
    if (kind_ == Kind::kJoinableQueue) shared.unfinished_tasks.fetch_add(1);
  }
  // Sequentially consistent, before the waiter count is read: pairs with SleepUntil.
  PublishedWord(tail).store(tail + 1);
  shared.tail.store(tail + ChunkBytes(length), std::memory_order_release);
  NotifyOne(shared.data_waiters, locks_.data);
}

void QueueRing::Put(std::string_view item, bool block, Timeout timeout) {
  CheckOpen("put");
  absl::Time deadline = DeadlineFor(block, timeout);
  uint64_t whole = ChunkBytes(item.size());
  if (whole > header().capacity) {
    PutStreamed(item, deadline);
    return;
  }
  if (!AcquireWriterWithRoom(whole, deadline)) {
    throw Full(block ? "Queue.put: no room before the timeout" : "Queue.put: the queue is full");
  }
  Holding write(write_lock());
  WrapToStartIfEmpty(whole);
  PublishChunk(kFirst | kLast, item.data(), item.size(), item.size());
}

void QueueRing::PutStreamed(std::string_view item, absl::Time deadline) {
  const uint64_t piece = header().capacity / 4 - sizeof(ChunkHeader);
  if (!AcquireWriterWithRoom(ChunkBytes(piece), deadline)) {
    throw Full("Queue.put: no room for the first piece of a large item before the timeout");
  }
  Holding write(write_lock());
  for (uint64_t offset = 0; offset < item.size();) {
    uint64_t length = std::min<uint64_t>(piece, item.size() - offset);
    uint32_t flags = (offset == 0 ? kFirst : 0) | (offset + length == item.size() ? kLast : 0);
    // The lock stays held: the pieces of one item must be contiguous in the ring.
    if (offset > 0) WaitForRoom(ChunkBytes(length), false, absl::InfiniteFuture());
    PublishChunk(flags, item.data() + offset, length, item.size());
    offset += length;
  }
}

// ---- Consumers ----

// The read-lock holder's check: is the chunk at head published?
bool QueueRing::DataAvailable() const {
  uint64_t head = header().head.load(std::memory_order_relaxed);
  return PublishedWord(head).load() == head + 1;
}

// True when data is available; false when the producer of the partial item being assembled
// died. Throws Empty at the deadline and EOFError when nothing can arrive any more.
bool QueueRing::AwaitData(absl::Time deadline, bool assembling, int64_t writer, int64_t self) {
  auto ready = [this] { return DataAvailable(); };
  if (SpinUntil(ready)) return true;  // the common case: no clock, no sleep
  Header& shared = header();
  for (;;) {
    absl::Time until = absl::Now() + kPollInterval;
    if (!assembling) until = std::min(until, deadline);
    if (SleepUntil(shared.data_waiters, locks_.data, until, ready)) return true;
    if (assembling) {
      if (!platform::IsProcessAlive(writer)) return false;
      continue;
    }
    if (absl::Now() >= deadline) {
      throw Empty(deadline == absl::InfinitePast()
                      ? "Queue.get: the queue is empty"
                      : "Queue.get: nothing arrived before the timeout");
    }
    // Holders first, data second: whatever a holder put before it exited is visible by now.
    if (!holders().SomeoneElseMayPut(self) && !DataAvailable()) {
      throw EOFError(
          "Queue.get: the queue is empty and every other process that held it has exited or "
          "closed it, so nothing can arrive");
    }
  }
}

QueueRing::ChunkHeader QueueRing::ReadChunkHeader() {
  Header& shared = header();
  uint64_t head = shared.head.load(std::memory_order_relaxed);
  ChunkHeader chunk{};
  CopyOut(head, &chunk, sizeof(chunk));  // published: DataAvailable() just returned true
  // No look at tail (the producers' line): the checks that need only the chunk itself.
  bool valid = chunk.length <= shared.capacity - sizeof(chunk) &&
               (chunk.flags & ~(kFirst | kLast | kWrap)) == 0 &&
               ((chunk.flags & kWrap) != 0 || chunk.length <= chunk.item_size);
  if (!valid) {
    // Only something writing into the queue's memory from outside can cause this.
    shared.items_taken.store(shared.items_put.load());
    Consume(shared.tail.load() - head);
    throw SerializationError(
        "Queue.get: the queue's shared memory holds a corrupt record; its contents were "
        "discarded");
  }
  return chunk;
}

void QueueRing::TakeItem() {
  Header& shared = header();
  shared.items_taken.store(shared.items_taken.load(std::memory_order_relaxed) + 1);
}

void QueueRing::Consume(uint64_t bytes) {
  Header& shared = header();
  shared.head.store(shared.head.load(std::memory_order_relaxed) + bytes);
  NotifyOne(shared.room_waiters, locks_.room);
}

// An item a dead consumer had begun reading: nobody will get it, so it counts as taken and,
// for a JoinableQueue, as done (CPython would leave join() waiting forever).
void QueueRing::CountLostItem() {
  Header& shared = header();
  TakeItem();
  if (kind_ != Kind::kJoinableQueue) return;
  int64_t unfinished = shared.unfinished_tasks.load();
  while (unfinished > 0 &&
         !shared.unfinished_tasks.compare_exchange_weak(unfinished, unfinished - 1)) {
  }
  if (unfinished == 1) NotifyAll(shared.join_waiters, locks_.tasks_done);
}

void QueueRing::Get(bool block, Timeout timeout, std::string& item) {
  CheckOpen("get");
  absl::Time deadline = DeadlineFor(block, timeout);
  const int64_t self = platform::CurrentProcessId();
  if (!read_lock().Acquire(self, deadline)) {
    throw Empty(block ? "Queue.get: nothing arrived before the timeout"
                      : "Queue.get: another process is reading the queue");
  }
  Holding read(read_lock());
  bool assembling = false;  // the first chunk of an item was read, its last not yet
  int64_t writer = 0;
  uint64_t item_size = 0;
  item.clear();
  for (;;) {
    if (!AwaitData(deadline, assembling, writer, self)) {
      assembling = false;  // its producer died mid-item; the pieces read so far are dropped
      item.clear();
      continue;
    }
    ChunkHeader chunk = ReadChunkHeader();
    uint64_t bytes = ChunkBytes(chunk.length);
    if ((chunk.flags & kWrap) != 0) {
      Consume(bytes);
      continue;
    }
    if ((chunk.flags & kFirst) != 0) {
      // A first chunk while assembling: the previous producer died mid-item.
      assembling = true;
      writer = chunk.writer;
      item_size = chunk.item_size;
      item.clear();
      item.reserve(static_cast<size_t>(std::min<uint64_t>(item_size, header().capacity)));
    } else if (!assembling) {
      // The rest of an item a consumer that died had begun reading.
      if ((chunk.flags & kLast) != 0) CountLostItem();
      Consume(bytes);
      continue;
    }
    size_t at = item.size();
    if (at + chunk.length > item_size) {
      Consume(bytes);
      throw SerializationError("Queue.get: a queue item's pieces exceed its announced size");
    }
    item.resize(at + static_cast<size_t>(chunk.length));
    CopyOut(header().head.load() + sizeof(ChunkHeader), item.data() + at,
            static_cast<size_t>(chunk.length));
    if ((chunk.flags & kLast) != 0) {
      TakeItem();
      Consume(bytes);
      return;
    }
    Consume(bytes);
  }
}

// ---- JoinableQueue ----

void QueueRing::TaskDone() {
  Header& shared = header();
  int64_t unfinished = shared.unfinished_tasks.load();
  do {
    if (unfinished <= 0) throw ValueError("task_done() called too many times");
  } while (!shared.unfinished_tasks.compare_exchange_weak(unfinished, unfinished - 1));
  if (unfinished == 1) NotifyAll(shared.join_waiters, locks_.tasks_done);
}

bool QueueRing::JoinTasks(Timeout timeout) {
  Header& shared = header();
  return SleepUntil(shared.join_waiters, locks_.tasks_done, DeadlineFor(true, timeout),
                    [&shared] { return shared.unfinished_tasks.load() == 0; });
}

// ---- Travel ----

void QueueRing::Save(OutputArchive& archive) const {
  QueueHolders::InFlight copy = holders().BeginTransfer();
  archive(block_, static_cast<uint32_t>(kind_), locks_.read, locks_.write, locks_.data, locks_.room,
          locks_.tasks_done, copy.index, copy.token);
}

std::shared_ptr<QueueRing> QueueRing::Load(InputArchive& archive) {
  SharedBlock block;
  uint32_t kind = 0;
  Locks locks;
  QueueHolders::InFlight copy;
  archive(block, kind, locks.read, locks.write, locks.data, locks.room, locks.tasks_done,
          copy.index, copy.token);
  const auto* shared = static_cast<const Header*>(block.data());
  bool valid = block.size() >= kRingOffset + kMinimumCapacity && shared->magic == kMagic &&
               kind >= 1 && kind <= 3 && shared->kind == kind &&
               std::has_single_bit(shared->capacity) &&
               shared->capacity <= block.size() - kRingOffset;
  if (!valid) throw SerializationError("a received queue's shared state is malformed");
  auto ring = std::shared_ptr<QueueRing>(
      new QueueRing(static_cast<Kind>(kind), std::move(block), std::move(locks)));
  ring->registered_pid_ = platform::CurrentProcessId();
  ring->holders().CompleteTransfer(copy, ring->registered_pid_);
  return ring;
}

}  // namespace multiproc::internal
