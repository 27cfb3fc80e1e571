// list, dict, Namespace, Value and Array: containers of encoded values (see manager_protocol.h).
#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/managers/builtin_referents.h"

namespace multiproc::internal::manager {
namespace {

// Creation arguments never carry references (the client creates, then stores): a value made
// from them holds none.
Stored Unheld(Stored value) {
  value.held.clear();
  return value;
}

// Python's index rules: negative counts from the end; out of range is an IndexError.
size_t Position(int64_t index, size_t size) {
  int64_t n = static_cast<int64_t>(size);
  if (index < 0) index += n;
  if (index < 0 || index >= n) throw IndexError("list index out of range");
  return static_cast<size_t>(index);
}

// Python's slice bounds: clamped into [0, size].
size_t Clamp(int64_t index, size_t size) {
  int64_t n = static_cast<int64_t>(size);
  if (index < 0) index += n;
  return static_cast<size_t>(std::clamp<int64_t>(index, 0, n));
}

std::vector<std::string> Bytes(const std::vector<Stored>& values, size_t begin, size_t end) {
  std::vector<std::string> result;
  for (size_t i = begin; i < end; ++i) result.push_back(values[i].bytes);
  return result;
}

// list and Array (an Array's size is fixed at creation).
class ListReferent : public Referent {
 public:
  ListReferent(std::vector<Stored> items, bool fixed_size)
      : items_(std::move(items)), fixed_size_(fixed_size) {}

  std::string Call(CallContext& context, const std::string& method,
                   const std::string& args) override {
    std::lock_guard<std::mutex> hold(mutex_);
    if (method == "get") {
      auto [index] = DecodeArgs<int64_t>(args);
      return EncodeResult(items_[Position(index, items_.size())].bytes);
    }
    if (method == "set") {
      auto [index, value] = DecodeArgs<int64_t, Stored>(args);
      Stored& slot = items_[Position(index, items_.size())];
      context.Adopt(value);
      context.Drop(slot);
      slot = std::move(value);
      return {};
    }
    if (method == "size") return EncodeResult(static_cast<uint64_t>(items_.size()));
    if (method == "snapshot") return EncodeResult(Bytes(items_, 0, items_.size()));
    if (method == "slice") {
      auto [start, stop] = DecodeArgs<int64_t, int64_t>(args);
      size_t begin = Clamp(start, items_.size()), end = Clamp(stop, items_.size());
      return EncodeResult(Bytes(items_, begin, std::max(begin, end)));
    }
    if (method == "index" || method == "count") {
      std::string bytes = std::get<0>(DecodeArgs<std::string>(args));
      auto equal = [&bytes](const Stored& item) { return item.bytes == bytes; };
      if (method == "count") {
        return EncodeResult(
            static_cast<uint64_t>(std::count_if(items_.begin(), items_.end(), equal)));
      }
      auto found = std::find_if(items_.begin(), items_.end(), equal);
      if (found == items_.end()) throw ValueError("list.index(x): x not in list");
      return EncodeResult(static_cast<uint64_t>(found - items_.begin()));
    }
    if (fixed_size_) UnknownMethod("Array", method);
    if (method == "append") {
      auto [value] = DecodeArgs<Stored>(args);
      context.Adopt(value);
      items_.push_back(std::move(value));
      return {};
    }
    if (method == "extend") {
      auto [values] = DecodeArgs<std::vector<Stored>>(args);
      for (const Stored& value : values) context.Adopt(value);
      for (Stored& value : values) items_.push_back(std::move(value));
      return {};
    }
    if (method == "insert") {
      auto [index, value] = DecodeArgs<int64_t, Stored>(args);
      context.Adopt(value);
      items_.insert(items_.begin() + static_cast<ptrdiff_t>(Clamp(index, items_.size())),
                    std::move(value));
      return {};
    }
    if (method == "pop" || method == "erase") {
      auto [index] = DecodeArgs<int64_t>(args);
      if (items_.empty()) throw IndexError("pop from empty list");
      auto at = items_.begin() + static_cast<ptrdiff_t>(Position(index, items_.size()));
      Stored value = std::move(*at);
      items_.erase(at);
      if (method == "erase") {
        context.Drop(value);
        return {};
      }
      context.Transfer(value);
      return EncodeResult(value.bytes);
    }
    if (method == "remove") {
      std::string bytes = std::get<0>(DecodeArgs<std::string>(args));
      auto found = std::find_if(items_.begin(), items_.end(),
                                [&bytes](const Stored& item) { return item.bytes == bytes; });
      if (found == items_.end()) throw ValueError("list.remove(x): x not in list");
      context.Drop(*found);
      items_.erase(found);
      return {};
    }
    if (method == "clear") {
      for (const Stored& value : items_) context.Drop(value);
      items_.clear();
      return {};
    }
    if (method == "reverse") {
      std::reverse(items_.begin(), items_.end());
      return {};
    }
    UnknownMethod("list", method);
  }

  std::vector<Stored> TakeStored() override { return std::move(items_); }

 private:
  std::mutex mutex_;
  std::vector<Stored> items_;
  bool fixed_size_;
};

// dict: insertion-ordered, as Python's.
class DictReferent : public Referent {
 public:
  std::string Call(CallContext& context, const std::string& method,
                   const std::string& args) override {
    std::lock_guard<std::mutex> hold(mutex_);
    if (method == "set") {
      auto [key, value] = DecodeArgs<std::string, Stored>(args);
      context.Adopt(value);
      Set(context, std::move(key), std::move(value));
      return {};
    }
    if (method == "get") {
      auto [key] = DecodeArgs<std::string>(args);
      return EncodeResult(entries_[Required(key)].second.bytes);
    }
    if (method == "get_or") {
      auto [key, fallback] = DecodeArgs<std::string, std::string>(args);
      auto found = index_.find(key);
      return EncodeResult(found == index_.end() ? fallback : entries_[found->second].second.bytes);
    }
    if (method == "contains") {
      auto [key] = DecodeArgs<std::string>(args);
      return EncodeResult(index_.contains(key));
    }
    if (method == "erase" || method == "pop") {
      auto [key] = DecodeArgs<std::string>(args);
      size_t at = Required(key);
      Stored value = std::move(entries_[at].second);
      entries_.erase(entries_.begin() + static_cast<ptrdiff_t>(at));
      Reindex();
      if (method == "erase") {
        context.Drop(value);
        return {};
      }
      context.Transfer(value);
      return EncodeResult(value.bytes);
    }
    if (method == "size") return EncodeResult(static_cast<uint64_t>(entries_.size()));
    if (method == "keys" || method == "values") {
      std::vector<std::string> result;
      for (const auto& [key, value] : entries_) {
        result.push_back(method == "keys" ? key : value.bytes);
      }
      return EncodeResult(result);
    }
    if (method == "items") {
      std::vector<std::pair<std::string, std::string>> result;
      for (const auto& [key, value] : entries_) result.emplace_back(key, value.bytes);
      return EncodeResult(result);
    }
    if (method == "update") {
      auto [items] = DecodeArgs<std::vector<std::pair<std::string, Stored>>>(args);
      for (const auto& item : items) context.Adopt(item.second);
      for (auto& [key, value] : items) Set(context, std::move(key), std::move(value));
      return {};
    }
    if (method == "clear") {
      for (const auto& entry : entries_) context.Drop(entry.second);
      entries_.clear();
      index_.clear();
      return {};
    }
    UnknownMethod("dict", method);
  }

  std::vector<Stored> TakeStored() override {
    std::vector<Stored> values;
    for (auto& entry : entries_) values.push_back(std::move(entry.second));
    return values;
  }

  void Set(CallContext& context, std::string key, Stored value) {
    auto found = index_.find(key);
    if (found != index_.end()) {
      context.Drop(entries_[found->second].second);
      entries_[found->second].second = std::move(value);
      return;
    }
    index_.emplace(key, entries_.size());
    entries_.emplace_back(std::move(key), std::move(value));
  }

 private:
  size_t Required(const std::string& key) const {
    auto found = index_.find(key);
    if (found == index_.end()) throw KeyError("the key is not in the dict");
    return found->second;
  }
  void Reindex() {
    index_.clear();
    for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  }

  std::mutex mutex_;
  std::vector<std::pair<std::string, Stored>> entries_;
  std::unordered_map<std::string, size_t> index_;
};

// Namespace: named attributes, each remembering its type so get<T> of another T is a TypeError.
class NamespaceReferent : public Referent {
 public:
  std::string Call(CallContext& context, const std::string& method,
                   const std::string& args) override {
    std::lock_guard<std::mutex> hold(mutex_);
    if (method == "set") {
      auto [name, type, value] = DecodeArgs<std::string, std::string, Stored>(args);
      context.Adopt(value);
      auto found = attributes_.find(name);
      if (found != attributes_.end()) context.Drop(found->second.second);
      attributes_[name] = {std::move(type), std::move(value)};
      return {};
    }
    if (method == "get") {
      auto [name, type] = DecodeArgs<std::string, std::string>(args);
      const auto& [stored_type, value] = Required(name);
      if (stored_type != type) {
        throw TypeError(
            absl::StrCat("attribute '", name, "' holds a '", stored_type, "', not a '", type, "'"));
      }
      return EncodeResult(value.bytes);
    }
    if (method == "has") {
      auto [name] = DecodeArgs<std::string>(args);
      return EncodeResult(attributes_.contains(name));
    }
    if (method == "erase") {
      auto [name] = DecodeArgs<std::string>(args);
      context.Drop(Required(name).second);
      attributes_.erase(name);
      return {};
    }
    if (method == "names") {
      std::vector<std::string> names;
      for (const auto& [name, attribute] : attributes_) names.push_back(name);
      return EncodeResult(names);
    }
    UnknownMethod("Namespace", method);
  }

  std::vector<Stored> TakeStored() override {
    std::vector<Stored> values;
    for (auto& [name, attribute] : attributes_) values.push_back(std::move(attribute.second));
    return values;
  }

 private:
  const std::pair<std::string, Stored>& Required(const std::string& name) const {
    auto found = attributes_.find(name);
    if (found == attributes_.end()) {
      throw AttributeError(absl::StrCat("'Namespace' object has no attribute '", name, "'"));
    }
    return found->second;
  }

  std::mutex mutex_;
  std::map<std::string, std::pair<std::string, Stored>> attributes_;
};

class ValueReferent : public Referent {
 public:
  explicit ValueReferent(Stored value) : value_(std::move(value)) {}
  std::string Call(CallContext& context, const std::string& method,
                   const std::string& args) override {
    std::lock_guard<std::mutex> hold(mutex_);
    if (method == "get") return EncodeResult(value_.bytes);
    if (method == "set") {
      auto [value] = DecodeArgs<Stored>(args);
      context.Adopt(value);
      context.Drop(value_);
      value_ = std::move(value);
      return {};
    }
    UnknownMethod("Value", method);
  }
  std::vector<Stored> TakeStored() override { return {std::move(value_)}; }

 private:
  std::mutex mutex_;
  Stored value_;
};

std::vector<Stored> UnheldAll(std::vector<Stored> values) {
  for (Stored& value : values) value.held.clear();
  return values;
}

}  // namespace

void AddContainerTypes(ManagerTypes& types) {
  types.add_factory("list", [](const std::string&, const std::string& args) {
    auto [items] = DecodeArgs<std::vector<Stored>>(args);
    return std::unique_ptr<Referent>(new ListReferent(UnheldAll(std::move(items)), false));
  });
  types.add_factory("Array", [](const std::string&, const std::string& args) {
    auto [items] = DecodeArgs<std::vector<Stored>>(args);
    return std::unique_ptr<Referent>(new ListReferent(UnheldAll(std::move(items)), true));
  });
  types.add_factory("dict", [](const std::string&, const std::string&) {
    return std::unique_ptr<Referent>(new DictReferent());
  });
  types.add_factory("Namespace", [](const std::string&, const std::string&) {
    return std::unique_ptr<Referent>(new NamespaceReferent());
  });
  types.add_factory("Value", [](const std::string&, const std::string& args) {
    auto [value] = DecodeArgs<Stored>(args);
    return std::unique_ptr<Referent>(new ValueReferent(Unheld(std::move(value))));
  });
}

}  // namespace multiproc::internal::manager
