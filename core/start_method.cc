#include "core/start_method.h"

#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "platform/process.h"

namespace multiproc {

namespace {

std::mutex& MethodMutex() {
  static std::mutex mutex;
  return mutex;
}

std::optional<StartMethod>& ChosenMethod() {
  static std::optional<StartMethod> method;
  return method;
}

StartMethod PlatformDefault() {
  return platform::SupportsFork() ? StartMethod::kForkserver : StartMethod::kSpawn;
}

}  // namespace

std::string StartMethodName(StartMethod method) {
  switch (method) {
    case StartMethod::kFork:
      return "fork";
    case StartMethod::kSpawn:
      return "spawn";
    case StartMethod::kForkserver:
      return "forkserver";
  }
  return "unknown";
}

StartMethod ParseStartMethod(absl::string_view name) {
  for (const std::string& available : get_all_start_methods()) {
    if (available == name) {
      if (name == "fork") return StartMethod::kFork;
      if (name == "spawn") return StartMethod::kSpawn;
      return StartMethod::kForkserver;
    }
  }
  throw ValueError(absl::StrCat("cannot find context for '", name, "'"));
}

std::vector<std::string> get_all_start_methods() {
  if (!platform::SupportsFork()) return {"spawn"};
  return {"forkserver", "fork", "spawn"};
}

void set_start_method(absl::string_view method, bool force) {
  StartMethod parsed = ParseStartMethod(method);
  std::lock_guard<std::mutex> lock(MethodMutex());
  if (ChosenMethod().has_value() && !force) throw ProcessError("context has already been set");
  ChosenMethod() = parsed;
}

StartMethod DefaultStartMethod() {
  std::lock_guard<std::mutex> lock(MethodMutex());
  if (!ChosenMethod().has_value()) ChosenMethod() = PlatformDefault();
  return *ChosenMethod();
}

std::string get_start_method() { return StartMethodName(DefaultStartMethod()); }

}  // namespace multiproc
