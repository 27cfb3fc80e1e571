// Exceptions that cross from a Pool worker back to the caller. A task that throws in a worker
// cannot send the exception object itself (C++ has no pickling of exceptions), so the worker
// sends its type name and what(), and the parent rebuilds it: multiproc's own exception types
// come back as the same type (a SerializationError stays a SerializationError), anything else as
// a TaskError that keeps the original type name.
//
//   try {
//     pool.apply(ParseOrThrow, std::string("x"));
//   } catch (const multiproc::TaskError& error) {
//     error.type_name();  // "std::invalid_argument"
//     error.message();    // the task's what()
//     error.what();       // "std::invalid_argument: <message>"
//   }
#ifndef MULTIPROC_CORE_TASK_ERROR_H_
#define MULTIPROC_CORE_TASK_ERROR_H_

#include <exception>
#include <functional>
#include <string>

#include "core/errors.h"

namespace multiproc {

// An exception a task raised in a worker, of a type that is not one of multiproc's. A
// RemoteError, as CPython's pool re-raises the remote exception with its remote traceback.
class TaskError : public RemoteError {
 public:
  TaskError(std::string type_name, std::string message);
  const std::string& type_name() const { return type_name_; }
  const std::string& message() const { return message_; }

 private:
  std::string type_name_;
  std::string message_;
};

namespace internal {

// An exception as it travels: its demangled type name and its what().
struct CapturedError {
  std::string type_name;
  std::string message;

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(type_name, message);
  }
};

// Describes the exception being handled (call inside a catch block). cereal's decoding errors
// are reported as multiproc::SerializationError: for the caller they mean the same.
CapturedError CaptureCurrentError();

// A task's failure as the pool keeps it: raising it throws a new exception each time, in the
// thread that asks. (Sharing one exception object between threads through std::exception_ptr
// works, but its reference count lives in uninstrumented libstdc++, so ThreadSanitizer reports
// every such exception as a race.)
class Failure {
 public:
  // A failure that throws E(arguments...).
  template <typename E, typename... Arguments>
  static Failure Of(Arguments... arguments) {
    return Failure([arguments...] { throw E(arguments...); });
  }

  [[noreturn]] void Raise() const;

 private:
  explicit Failure(std::function<void()> raise) : raise_(std::move(raise)) {}
  std::function<void()> raise_;
};

// The failure to raise in the parent for `error`, its message prefixed with `context` when
// that is not empty.
Failure RebuildError(const CapturedError& error, const std::string& context = "");

}  // namespace internal
}  // namespace multiproc

#endif  // MULTIPROC_CORE_TASK_ERROR_H_
