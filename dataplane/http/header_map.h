#ifndef STRATA_DATAPLANE_HTTP_HEADER_MAP_H_
#define STRATA_DATAPLANE_HTTP_HEADER_MAP_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

namespace strata::http {

// One header field as stored: views into the owning HeaderMap, valid until the map is next
// modified.
struct HeaderView {
  absl::string_view name;
  absl::string_view value;
};

// An ordered list of header fields for the request/response hot path. All names and values live
// in one byte arena; the list itself is a vector of offsets into it. Clear() keeps both
// allocations, so a keep-alive connection that reuses its map allocates nothing per request once
// the arena has grown to its working size.
//
// Names keep the case they were added with and are compared case-insensitively (ASCII) without
// allocating. Duplicate names are allowed and kept in order. Every view handed out (Get, GetAll,
// iteration) is invalidated by the next modification of the map.
//
// Removing or replacing a field leaves its old bytes in the arena until Clear(); a map that is
// edited without ever being cleared grows by the size of every value written to it.
class HeaderMap {
 private:
  struct Entry {
    uint32_t name_offset;
    uint32_t name_size;
    uint32_t value_offset;
    uint32_t value_size;
  };

 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = HeaderView;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = HeaderView;

    HeaderView operator*() const { return map_->At(index_); }
    const_iterator& operator++() {
      ++index_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++index_;
      return old;
    }
    bool operator==(const const_iterator& other) const { return index_ == other.index_; }
    bool operator!=(const const_iterator& other) const { return index_ != other.index_; }

   private:
    friend class HeaderMap;
    const_iterator(const HeaderMap* map, size_t index) : map_(map), index_(index) {}
    const HeaderMap* map_;
    size_t index_;
  };

  HeaderMap() = default;
  HeaderMap(const HeaderMap&) = default;
  HeaderMap& operator=(const HeaderMap&) = default;
  HeaderMap(HeaderMap&&) noexcept = default;
  HeaderMap& operator=(HeaderMap&&) noexcept = default;

  // Removes every field; keeps the arena's and the list's capacity.
  void Clear();

  // Appends a field (after any existing field of the same name).
  void Add(absl::string_view name, absl::string_view value);

  // The value of the first field named `name` (case-insensitive), if any.
  std::optional<absl::string_view> Get(absl::string_view name) const;

  // The values of every field named `name`, in order.
  absl::InlinedVector<absl::string_view, 2> GetAll(absl::string_view name) const;

  // The values of every field named `name` joined with ", " (the list form of RFC 9110 5.3),
  // or nullopt when there is none. Allocates; not for the per-request path.
  std::optional<std::string> GetJoined(absl::string_view name) const;

  bool Has(absl::string_view name) const { return Find(name, 0) != kNotFound; }

  // Removes every field named `name`; returns how many were removed.
  size_t Remove(absl::string_view name);

  // Gives the first field named `name` the value `value` (keeping its position and the case of
  // its name) and removes the others; appends a new field if there is none.
  void Set(absl::string_view name, absl::string_view value);

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // Field `i` in order (0 <= i < size()).
  HeaderView At(size_t i) const {
    const Entry& e = entries_[i];
    return {absl::string_view(arena_.data() + e.name_offset, e.name_size),
            absl::string_view(arena_.data() + e.value_offset, e.value_size)};
  }

  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, entries_.size()); }

  // Bytes of names plus values of the fields present (no separators).
  size_t ByteSize() const { return byte_size_; }

  // Bytes the arena can hold before it must grow (for tests of capacity reuse).
  size_t ArenaCapacity() const { return arena_.capacity(); }

  // Piecewise construction for parsers that receive a field in fragments: StartField(), any
  // number of AppendToName(), StartValue(), any number of AppendToValue(), FinishField().
  // Nothing else may modify the map between StartField() and FinishField(). FinishField()
  // drops trailing spaces and tabs from the value. PendingName() is the name collected so far.
  void StartField();
  void AppendToName(absl::string_view fragment);
  void StartValue();
  void AppendToValue(absl::string_view fragment);
  void FinishField();
  absl::string_view PendingName() const;

  // True if `a` and `b` are equal ignoring ASCII case.
  static bool NameEquals(absl::string_view a, absl::string_view b);

 private:
  static constexpr size_t kNotFound = static_cast<size_t>(-1);

  absl::string_view NameOf(const Entry& e) const {
    return absl::string_view(arena_.data() + e.name_offset, e.name_size);
  }
  absl::string_view ValueOf(const Entry& e) const {
    return absl::string_view(arena_.data() + e.value_offset, e.value_size);
  }
  // Index of the first field named `name` at or after `from`, or kNotFound.
  size_t Find(absl::string_view name, size_t from) const;
  // Appends `bytes` to the arena and returns their offset.
  uint32_t Store(absl::string_view bytes);

  std::string arena_;
  std::vector<Entry> entries_;
  size_t byte_size_ = 0;
  // The field under piecewise construction; not yet in entries_.
  Entry pending_{};
};

}  // namespace strata::http

#endif  // STRATA_DATAPLANE_HTTP_HEADER_MAP_H_
