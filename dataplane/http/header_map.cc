#include "dataplane/http/header_map.h"

#include <algorithm>

namespace strata::http {
namespace {

inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

}  // namespace

bool HeaderMap::NameEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

void HeaderMap::Clear() {
  arena_.clear();
  entries_.clear();
  byte_size_ = 0;
  pending_ = Entry{};
}

uint32_t HeaderMap::Store(absl::string_view bytes) {
  const uint32_t offset = static_cast<uint32_t>(arena_.size());
  arena_.append(bytes.data(), bytes.size());
  return offset;
}

void HeaderMap::Add(absl::string_view name, absl::string_view value) {
  Entry e;
  e.name_offset = Store(name);
  e.name_size = static_cast<uint32_t>(name.size());
  e.value_offset = Store(value);
  e.value_size = static_cast<uint32_t>(value.size());
  entries_.push_back(e);
  byte_size_ += name.size() + value.size();
}

size_t HeaderMap::Find(absl::string_view name, size_t from) const {
  for (size_t i = from; i < entries_.size(); ++i) {
    if (NameEquals(NameOf(entries_[i]), name)) return i;
  }
  return kNotFound;
}

std::optional<absl::string_view> HeaderMap::Get(absl::string_view name) const {
  const size_t i = Find(name, 0);
  if (i == kNotFound) return std::nullopt;
  return ValueOf(entries_[i]);
}

absl::InlinedVector<absl::string_view, 2> HeaderMap::GetAll(absl::string_view name) const {
  absl::InlinedVector<absl::string_view, 2> values;
  for (const Entry& e : entries_) {
    if (NameEquals(NameOf(e), name)) values.push_back(ValueOf(e));
  }
  return values;
}

std::optional<std::string> HeaderMap::GetJoined(absl::string_view name) const {
  std::optional<std::string> joined;
  for (const Entry& e : entries_) {
    if (!NameEquals(NameOf(e), name)) continue;
    if (!joined.has_value()) {
      joined.emplace();
    } else {
      joined->append(", ");
    }
    const absl::string_view value = ValueOf(e);
    joined->append(value.data(), value.size());
  }
  return joined;
}

size_t HeaderMap::Remove(absl::string_view name) {
  const size_t before = entries_.size();
  auto it = std::remove_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
    if (!NameEquals(NameOf(e), name)) return false;
    byte_size_ -= e.name_size + e.value_size;
    return true;
  });
  entries_.erase(it, entries_.end());
  return before - entries_.size();
}

void HeaderMap::Set(absl::string_view name, absl::string_view value) {
  const size_t first = Find(name, 0);
  if (first == kNotFound) {
    Add(name, value);
    return;
  }
  Entry& e = entries_[first];
  byte_size_ -= e.value_size;
  if (value.size() <= e.value_size) {
    // Fits in place: no arena growth.
    arena_.replace(e.value_offset, value.size(), value.data(), value.size());
  } else {
    e.value_offset = Store(value);
  }
  e.value_size = static_cast<uint32_t>(value.size());
  byte_size_ += value.size();
  // Drop the later duplicates.
  auto tail = std::remove_if(entries_.begin() + first + 1, entries_.end(), [&](const Entry& d) {
    if (!NameEquals(NameOf(d), name)) return false;
    byte_size_ -= d.name_size + d.value_size;
    return true;
  });
  entries_.erase(tail, entries_.end());
}

void HeaderMap::StartField() {
  pending_ = Entry{};
  pending_.name_offset = static_cast<uint32_t>(arena_.size());
}

void HeaderMap::AppendToName(absl::string_view fragment) {
  arena_.append(fragment.data(), fragment.size());
  pending_.name_size += static_cast<uint32_t>(fragment.size());
}

void HeaderMap::StartValue() { pending_.value_offset = static_cast<uint32_t>(arena_.size()); }

void HeaderMap::AppendToValue(absl::string_view fragment) {
  arena_.append(fragment.data(), fragment.size());
  pending_.value_size += static_cast<uint32_t>(fragment.size());
}

void HeaderMap::FinishField() {
  while (pending_.value_size > 0) {
    const char last = arena_[pending_.value_offset + pending_.value_size - 1];
    if (last != ' ' && last != '\t') break;
    --pending_.value_size;
  }
  entries_.push_back(pending_);
  byte_size_ += pending_.name_size + pending_.value_size;
  pending_ = Entry{};
}

absl::string_view HeaderMap::PendingName() const {
  return absl::string_view(arena_.data() + pending_.name_offset, pending_.name_size);
}

}  // namespace strata::http
