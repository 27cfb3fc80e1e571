// Registering your own types with a manager (Python's BaseManager.register): the type, how to
// construct it, and the methods clients may call, each by name. Registration runs in the server
// process, so it is a plain function handed to the manager (it travels to the server under every
// start method, as a Process target does):
//
//   struct Counter {
//     explicit Counter(int start) : n(start) {}
//     int increment(int by) { return n += by; }
//     int get() const { return n; }
//     int n;
//   };
//   void MyTypes(multiproc::ManagerTypes& types) {
//     types.add<Counter, int>("Counter")  // constructed from an int
//         .expose("increment", &Counter::increment)
//         .expose("get", &Counter::get);
//   }
//
//   multiproc::BaseManager manager;
//   manager.register_types(MyTypes);
//   manager.start();
//   multiproc::Proxy counter = manager.create("Counter", 5);
//   counter.call<int>("increment", 2);  // 7
//   counter.call<int>("reset");         // RemoteError: not exposed
//
// Arguments must be of the exposed method's parameter types (an int where the method takes an
// int): they are decoded as those types, and anything else is a TypeError. An exception thrown
// by a method comes back as RemoteError("<its type>: <its what()>"). Calls to one object are
// serialized (one at a time), calls to different objects run concurrently.
#ifndef MULTIPROC_CORE_MANAGER_TYPES_H_
#define MULTIPROC_CORE_MANAGER_TYPES_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "core/managers/referent.h"

namespace multiproc {

namespace internal::manager {

template <typename T>
using MethodTable =
    std::map<std::string, std::function<std::string(T&, const std::string&)>, std::less<>>;

template <typename T>
class UserReferent : public Referent {
 public:
  UserReferent(std::unique_ptr<T> object, std::string name,
               std::shared_ptr<const MethodTable<T>> methods)
      : object_(std::move(object)), name_(std::move(name)), methods_(std::move(methods)) {}

  std::string Call(CallContext&, const std::string& method, const std::string& args) override {
    auto found = methods_->find(method);
    if (found == methods_->end()) UnknownMethod(name_, method);
    std::lock_guard<std::mutex> hold(mutex_);
    return found->second(*object_, args);
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<T> object_;
  std::string name_;
  std::shared_ptr<const MethodTable<T>> methods_;
};

template <typename T, typename R, typename... A, typename Method>
std::function<std::string(T&, const std::string&)> MakeHandler(Method method) {
  return [method](T& object, const std::string& args) -> std::string {
    auto decoded = DecodeArgs<std::decay_t<A>...>(args);
    if constexpr (std::is_void_v<R>) {
      std::apply([&](auto&... values) { (object.*method)(values...); }, decoded);
      return {};
    } else {
      return EncodeResult(
          std::apply([&](auto&... values) -> R { return (object.*method)(values...); }, decoded));
    }
  };
}

}  // namespace internal::manager

// The methods of a registered type that clients may call; returned by ManagerTypes::add.
template <typename T>
class ExposedType {
 public:
  explicit ExposedType(std::shared_ptr<internal::manager::MethodTable<T>> methods)
      : methods_(std::move(methods)) {}

  template <typename R, typename... A>
  ExposedType& expose(std::string name, R (T::*method)(A...)) {
    (*methods_)[std::move(name)] = internal::manager::MakeHandler<T, R, A...>(method);
    return *this;
  }
  template <typename R, typename... A>
  ExposedType& expose(std::string name, R (T::*method)(A...) const) {
    (*methods_)[std::move(name)] = internal::manager::MakeHandler<T, R, A...>(method);
    return *this;
  }

 private:
  std::shared_ptr<internal::manager::MethodTable<T>> methods_;
};

// The types a manager's server can make, by name: the built-in ones (list, dict, Namespace,
// Lock, ...) and those added by registration functions.
class ManagerTypes {
 public:
  // Registers T under `name`, constructed from arguments of types CtorArgs.
  template <typename T, typename... CtorArgs>
  ExposedType<T> add(std::string name) {
    auto methods = std::make_shared<internal::manager::MethodTable<T>>();
    add_factory(name, [name, methods](const std::string&, const std::string& args) {
      auto decoded = internal::manager::DecodeArgs<CtorArgs...>(args);
      auto object = std::apply(
          [](auto&... values) { return std::make_unique<T>(std::move(values)...); }, decoded);
      return std::unique_ptr<internal::manager::Referent>(
          std::make_unique<internal::manager::UserReferent<T>>(std::move(object), name, methods));
    });
    return ExposedType<T>(methods);
  }

  // Low level: `factory` makes the objects of `name` (and of "name<...>" types).
  void add_factory(std::string name, internal::manager::Factory factory) {
    factories_[std::move(name)] = std::move(factory);
  }

  // The factory for `type` ("list<i>" is made by "list"); nullptr if none.
  const internal::manager::Factory* find(std::string_view type) const {
    auto found = factories_.find(type.substr(0, type.find('<')));
    return found == factories_.end() ? nullptr : &found->second;
  }

 private:
  std::map<std::string, internal::manager::Factory, std::less<>> factories_;
};

// A registration function: runs in the server process before it serves.
using RegisterTypes = void (*)(ManagerTypes&);

}  // namespace multiproc

#endif  // MULTIPROC_CORE_MANAGER_TYPES_H_
