#pragma once
// A multimap from 64-bit keys (hashes of name forms) to target ids, built once and then read by
// many threads. Internal to the typosquat engine.

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace bulwark::typosquat::internal {

class PostingMap {
 public:
  void Add(uint64_t key, uint32_t id) { pending_.emplace_back(key, id); }

  // Freezes the map: Find() may be called after this, Add() no more.
  void Finish() {
    std::sort(pending_.begin(), pending_.end());
    pending_.erase(std::unique(pending_.begin(), pending_.end()), pending_.end());
    ids_.reserve(pending_.size());
    size_t i = 0;
    while (i < pending_.size()) {
      size_t j = i;
      while (j < pending_.size() && pending_[j].first == pending_[i].first) {
        ids_.push_back(pending_[j].second);
        ++j;
      }
      table_.emplace(pending_[i].first,
                     Span{static_cast<uint32_t>(i), static_cast<uint32_t>(j)});
      i = j;
    }
    std::vector<std::pair<uint64_t, uint32_t>>().swap(pending_);
  }

  std::span<const uint32_t> Find(uint64_t key) const {
    auto it = table_.find(key);
    if (it == table_.end()) return {};
    return std::span<const uint32_t>(ids_.data() + it->second.begin,
                                     it->second.end - it->second.begin);
  }

  size_t keys() const { return table_.size(); }
  size_t entries() const { return ids_.size(); }
  size_t MemoryBytes() const {
    // flat_hash_map: one slot plus one control byte per bucket.
    return table_.capacity() * (sizeof(std::pair<const uint64_t, Span>) + 1) +
           ids_.capacity() * sizeof(uint32_t);
  }

 private:
  struct Span {
    uint32_t begin, end;
  };
  std::vector<std::pair<uint64_t, uint32_t>> pending_;
  absl::flat_hash_map<uint64_t, Span> table_;
  std::vector<uint32_t> ids_;
};

}  // namespace bulwark::typosquat::internal
