#include "core/task_error.h"

#include <boost/core/demangle.hpp>
#include <cereal/details/helpers.hpp>
#include <cstdlib>
#include <typeinfo>

#include "absl/strings/str_cat.h"

namespace multiproc {

TaskError::TaskError(std::string type_name, std::string message)
    : RemoteError(absl::StrCat(type_name, ": ", message)),
      type_name_(std::move(type_name)),
      message_(std::move(message)) {}

namespace internal {

namespace {

template <typename E>
CapturedError Capture(const E& error) {
  return {boost::core::demangle(typeid(error).name()), error.what()};
}

template <typename E>
bool Named(const CapturedError& error) {
  return error.type_name == boost::core::demangle(typeid(E).name());
}

template <typename E>
Failure Make(const std::string& message) {
  return Failure::Of<E>(message);
}

}  // namespace

CapturedError CaptureCurrentError() {
  try {
    throw;
  } catch (const cereal::Exception& error) {
    return {boost::core::demangle(typeid(SerializationError).name()), error.what()};
  } catch (const std::exception& error) {
    return Capture(error);
  } catch (...) {
    return {"unknown exception", "(not derived from std::exception)"};
  }
}

void Failure::Raise() const {
  raise_();
  std::abort();  // raise_ always throws
}

Failure RebuildError(const CapturedError& error, const std::string& context) {
  std::string message = context.empty() ? error.message : absl::StrCat(context, error.message);
  // multiproc's own types come back as themselves, so callers catch what they would catch
  // locally. Most derived first: Named compares exact type names.
  if (Named<SerializationError>(error)) return Make<SerializationError>(message);
  if (Named<ValueError>(error)) return Make<ValueError>(message);
  if (Named<TimeoutError>(error)) return Make<TimeoutError>(message);
  if (Named<OSError>(error)) return Make<OSError>(message);
  if (Named<EOFError>(error)) return Make<EOFError>(message);
  if (Named<Empty>(error)) return Make<Empty>(message);
  if (Named<Full>(error)) return Make<Full>(message);
  if (Named<AssertionError>(error)) return Make<AssertionError>(message);
  if (Named<BrokenBarrierError>(error)) return Make<BrokenBarrierError>(message);
  if (Named<AuthenticationError>(error)) return Make<AuthenticationError>(message);
  if (Named<BootstrapError>(error)) return Make<BootstrapError>(message);
  if (Named<ProcessError>(error)) return Make<ProcessError>(message);
  if (Named<RemoteError>(error)) return Make<RemoteError>(message);
  if (Named<WorkerLostError>(error)) return Make<WorkerLostError>(message);
  return Failure::Of<TaskError>(error.type_name, message);
}

}  // namespace internal
}  // namespace multiproc
