// A start-method context, as Python's get_context(): the same factories, bound to one method.
//
//   multiproc::Context spawn = multiproc::get_context("spawn");
//   multiproc::Process child = spawn.process(Work, 1);
#ifndef MULTIPROC_CORE_CONTEXT_H_
#define MULTIPROC_CORE_CONTEXT_H_

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "core/process.h"
#include "core/start_method.h"

namespace multiproc {

class Context {
 public:
  explicit Context(StartMethod method) : method_(method) {}

  StartMethod method() const { return method_; }
  std::string get_start_method() const { return StartMethodName(method_); }

  // A Process that starts with this context's method.
  template <typename Target, typename... Args>
  Process process(Target&& target, Args&&... args) const {
    Process created(std::forward<Target>(target), std::forward<Args>(args)...);
    created.set_start_method(method_);
    return created;
  }

 private:
  StartMethod method_;
};

// The context for `method` ("fork", "spawn", "forkserver"), or for the default method when
// empty. ValueError for a method this platform lacks.
Context get_context(absl::string_view method = "");

}  // namespace multiproc

#endif  // MULTIPROC_CORE_CONTEXT_H_
