// Proxies for the managed containers: ListProxy<T> (Python's manager.list()), DictProxy<K, V>
// (manager.dict()), NamespaceProxy (manager.Namespace()), ValueProxy<T> and ArrayProxy<T>.
// Every call is one request to the manager; whole-container reads (snapshot, keys, items) return
// a copy taken at one instant, and iterating means iterating such a copy:
//
//   multiproc::ListProxy<int> numbers = manager.list<int>({1, 2});
//   numbers.append(3);
//   for (int n : numbers.snapshot()) std::cout << n;  // 123
//   multiproc::DictProxy<std::string, int> ages = manager.dict<std::string, int>();
//   ages.set("ada", 36);
//   int age = ages.get("bob", 0);                      // 0: the default
//   multiproc::NamespaceProxy ns = manager.Namespace();
//   ns.set("x", 10);
//   int x = ns.get<int>("x");                          // AttributeError if never set
//
// Values are compared by their encoded bytes (index, count, remove, dict keys), which is value
// equality for integers, strings and containers of them. Indices follow Python: negative ones
// count from the end, out of range is IndexError; a missing key is KeyError.
#ifndef MULTIPROC_CORE_MANAGERS_CONTAINER_PROXIES_H_
#define MULTIPROC_CORE_MANAGERS_CONTAINER_PROXIES_H_

#include <any>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/proxy.h"

namespace multiproc {

class BaseManager;

// What `proxy[index]` is, as in Python: reading it asks the manager for the element, assigning to
// it stores through (`names[0] = "eve"` changes the managed list). It holds the proxy and the
// index, not a value: `T value = names[0]` takes a copy; `auto` keeps the reference.
template <typename Proxy, typename T>
class ItemReference {
 public:
  ItemReference(Proxy& proxy, int64_t index) : proxy_(&proxy), index_(index) {}
  operator T() const { return proxy_->get(index_); }
  T get() const { return proxy_->get(index_); }
  const ItemReference& operator=(const T& value) const {
    proxy_->set(index_, value);
    return *this;
  }
  // `a[0] = b[1]` copies the element, not the reference.
  const ItemReference& operator=(const ItemReference& other) const { return *this = other.get(); }
  friend bool operator==(const ItemReference& item, const T& value) { return item.get() == value; }

 private:
  Proxy* proxy_;
  int64_t index_;
};

template <typename T>
class ListProxy : public BaseProxy {
 public:
  ListProxy() = default;

  void append(const T& value) { Invoke("append", Store(value)); }
  void extend(const std::vector<T>& values) {
    std::vector<internal::manager::Stored> stored;
    for (const T& value : values) stored.push_back(Store(value));
    Invoke("extend", stored);
  }
  void insert(int64_t index, const T& value) { Invoke("insert", index, Store(value)); }
  T pop(int64_t index = -1) { return CallDecoding("pop", &Element<T>, index); }
  // ValueError if `value` is not in the list.
  void remove(const T& value) { Invoke("remove", Bytes(value)); }
  size_t index(const T& value) const { return CallFor<uint64_t>("index", Bytes(value)); }
  size_t count(const T& value) const { return CallFor<uint64_t>("count", Bytes(value)); }
  size_t size() const { return CallFor<uint64_t>("size"); }
  T get(int64_t index) const { return CallDecoding("get", &Element<T>, index); }
  // list[index], readable and assignable; on a const proxy a copy that cannot be assigned to.
  ItemReference<ListProxy, T> operator[](int64_t index) { return {*this, index}; }
  const T operator[](int64_t index) const { return get(index); }
  void set(int64_t index, const T& value) { Invoke("set", index, Store(value)); }
  // del list[index]
  void erase(int64_t index) { Invoke("erase", index); }
  // list[start:stop]
  std::vector<T> slice(int64_t start, int64_t stop) const {
    return CallDecoding("slice", &Elements<T>, start, stop);
  }
  std::vector<T> snapshot() const { return CallDecoding("snapshot", &Elements<T>); }
  void clear() { Invoke("clear"); }
  void reverse() { Invoke("reverse"); }

 private:
  friend class BaseManager;
  using BaseProxy::BaseProxy;
};

template <typename K, typename V>
class DictProxy : public BaseProxy {
 public:
  DictProxy() = default;

  void set(const K& key, const V& value) { Invoke("set", Bytes(key), Store(value)); }
  // KeyError if `key` is missing.
  V get(const K& key) const { return CallDecoding("get", &Element<V>, Bytes(key)); }
  V get(const K& key, const V& fallback) const {
    return CallDecoding("get_or", &Element<V>, Bytes(key), Bytes(fallback));
  }
  bool contains(const K& key) const { return CallFor<bool>("contains", Bytes(key)); }
  // del dict[key]; KeyError if missing.
  void erase(const K& key) { Invoke("erase", Bytes(key)); }
  V pop(const K& key) { return CallDecoding("pop", &Element<V>, Bytes(key)); }
  size_t size() const { return CallFor<uint64_t>("size"); }
  std::vector<K> keys() const { return CallDecoding("keys", &Elements<K>); }
  std::vector<V> values() const { return CallDecoding("values", &Elements<V>); }
  std::vector<std::pair<K, V>> items() const { return CallDecoding("items", &Items); }
  template <typename Range = std::vector<std::pair<K, V>>>
  void update(const Range& items) {
    std::vector<std::pair<std::string, internal::manager::Stored>> stored;
    for (const auto& [key, value] : items) stored.emplace_back(Bytes(key), Store(value));
    Invoke("update", stored);
  }
  void clear() { Invoke("clear"); }
  // A copy of the whole dict.
  template <typename Map = std::map<K, V>>
  Map snapshot() const {
    Map copy;
    for (auto& [key, value] : items()) copy.emplace(std::move(key), std::move(value));
    return copy;
  }

 private:
  friend class BaseManager;
  using BaseProxy::BaseProxy;

  static std::vector<std::pair<K, V>> Items(const std::string& payload) {
    std::vector<std::pair<K, V>> items;
    for (const auto& [key, value] :
         internal::manager::Load<std::vector<std::pair<std::string, std::string>>>(payload)) {
      items.emplace_back(internal::manager::Load<K>(key), internal::manager::Load<V>(value));
    }
    return items;
  }
};

// Named attributes of any serializable type. get<T> of a name never set is an AttributeError;
// of a name set with another type, a TypeError.
//
// As in Python, a name that starts with '_' is the proxy's own: it stays in this process (shared
// by copies of this proxy made here), is never sent to the manager and is not in names().
class NamespaceProxy : public BaseProxy {
 public:
  NamespaceProxy() = default;

  template <typename T>
  void set(const std::string& name, const T& value) {
    if (IsLocal(name)) {
      (*local_)[name] = value;
      return;
    }
    Invoke("set", name, internal::manager::TypeTag<T>(), Store(value));
  }
  template <typename T>
  T get(const std::string& name) const {
    if (IsLocal(name)) return LocalValue<T>(name);
    return CallDecoding("get", &Element<T>, name, internal::manager::TypeTag<T>());
  }
  bool has(const std::string& name) const {
    return IsLocal(name) ? local_->contains(name) : CallFor<bool>("has", name);
  }
  // AttributeError if never set.
  void erase(const std::string& name) {
    if (!IsLocal(name)) {
      Invoke("erase", name);
    } else if (local_->erase(name) == 0) {
      throw AttributeError("'Namespace' object has no attribute '" + name + "'");
    }
  }
  std::vector<std::string> names() const { return CallFor<std::vector<std::string>>("names"); }

 private:
  friend class BaseManager;
  using BaseProxy::BaseProxy;

  static bool IsLocal(const std::string& name) { return !name.empty() && name[0] == '_'; }
  template <typename T>
  T LocalValue(const std::string& name) const {
    auto found = local_->find(name);
    if (found == local_->end()) {
      throw AttributeError("'Namespace' object has no attribute '" + name + "'");
    }
    const T* value = std::any_cast<T>(&found->second);
    if (value == nullptr) throw TypeError("attribute '" + name + "' holds another type");
    return *value;
  }

  std::shared_ptr<std::map<std::string, std::any>> local_ =
      std::make_shared<std::map<std::string, std::any>>();
};

// A single managed value (Python's manager.Value): get() and set(). Use a managed Lock for
// read-modify-write sequences.
template <typename T>
class ValueProxy : public BaseProxy {
 public:
  ValueProxy() = default;
  T get() const { return CallDecoding("get", &Element<T>); }
  void set(const T& value) { Invoke("set", Store(value)); }

 private:
  friend class BaseManager;
  using BaseProxy::BaseProxy;
};

// A fixed-size managed array (Python's manager.Array): get/set by index, size, copies.
template <typename T>
class ArrayProxy : public BaseProxy {
 public:
  ArrayProxy() = default;
  T get(int64_t index) const { return CallDecoding("get", &Element<T>, index); }
  ItemReference<ArrayProxy, T> operator[](int64_t index) { return {*this, index}; }
  const T operator[](int64_t index) const { return get(index); }
  void set(int64_t index, const T& value) { Invoke("set", index, Store(value)); }
  size_t size() const { return CallFor<uint64_t>("size"); }
  std::vector<T> slice(int64_t start, int64_t stop) const {
    return CallDecoding("slice", &Elements<T>, start, stop);
  }
  std::vector<T> snapshot() const { return CallDecoding("snapshot", &Elements<T>); }

 private:
  friend class BaseManager;
  using BaseProxy::BaseProxy;
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_MANAGERS_CONTAINER_PROXIES_H_
