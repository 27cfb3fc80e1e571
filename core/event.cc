#include "core/event.h"

#include <atomic>
#include <mutex>
#include <new>

#include "core/errors.h"

namespace multiproc {

namespace {

std::atomic<uint32_t>& Flag(const internal::SharedBlock& block) {
  return *static_cast<std::atomic<uint32_t>*>(block.data());
}

}  // namespace

Event::Event()
    : condition_(Lock()),
      flag_(internal::SharedBlock::Allocate(sizeof(std::atomic<uint32_t>),
                                            alignof(std::atomic<uint32_t>))) {
  new (flag_.data()) std::atomic<uint32_t>(0);
}

Event::Event(Condition condition, internal::SharedBlock flag)
    : condition_(std::move(condition)), flag_(std::move(flag)) {
  if (flag_.size() < sizeof(std::atomic<uint32_t>)) {
    throw SerializationError("a received Event's state is malformed");
  }
}

Event Event::LoadFromArchive(internal::InputArchive& archive) {
  Condition condition = Condition::LoadFromArchive(archive);
  internal::SharedBlock flag;
  archive(flag);
  return Event(std::move(condition), std::move(flag));
}

bool Event::is_set() const { return Flag(flag_).load() != 0; }

void Event::set() {
  std::lock_guard<Condition> hold(condition_);
  Flag(flag_).store(1);
  condition_.notify_all();
}

void Event::clear() {
  std::lock_guard<Condition> hold(condition_);
  Flag(flag_).store(0);
}

size_t internal::ThreadsWaitingOn(const Event& event) { return ThreadsWaitingOn(event.condition_); }

bool Event::wait(Timeout timeout) {
  std::lock_guard<Condition> hold(condition_);
  return condition_.wait_for([this] { return is_set(); }, timeout);
}

}  // namespace multiproc
