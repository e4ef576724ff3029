#include "base/strings.h"
#include "api/packument_cache.h"


namespace bulwark {

std::string PackumentCache::Key(std::string_view name, std::string_view base_url) {
  return StrCat(name, " ", base_url);
}

std::shared_ptr<const CachedPackage> PackumentCache::Find(std::string_view name,
                                                          std::string_view base_url,
                                                          absl::Time now, bool* fresh) {
  absl::MutexLock l(&mu_);
  auto it = slots_.find(Key(name, base_url));
  if (it == slots_.end()) return nullptr;
  *fresh = now - it->second.validated < ttl_;
  return it->second.entry;
}

void PackumentCache::Put(std::string_view base_url, std::shared_ptr<const CachedPackage> entry,
                         absl::Time now) {
  absl::MutexLock l(&mu_);
  if (slots_.size() >= max_entries_) {
    // Crude but bounded: start over when full. Rendering is cheap next to a memory blow-up.
    slots_.clear();
    by_name_.clear();
  }
  std::string key = Key(entry->name, base_url);
  auto& keys = by_name_[entry->name];
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  slots_[key] = Slot{std::move(entry), now};
}

void PackumentCache::Touch(std::string_view name, std::string_view base_url, absl::Time now) {
  absl::MutexLock l(&mu_);
  auto it = slots_.find(Key(name, base_url));
  if (it != slots_.end()) it->second.validated = now;
}

void PackumentCache::Invalidate(std::string_view name) {
  absl::MutexLock l(&mu_);
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return;
  for (const auto& key : it->second) slots_.erase(key);
  by_name_.erase(it);
}

std::shared_ptr<const std::string> BlobCache::Find(const std::string& key) {
  absl::MutexLock l(&mu_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return nullptr;
  it->second.last_use = ++tick_;
  return it->second.bytes;
}

void BlobCache::Put(const std::string& key, std::shared_ptr<const std::string> bytes) {
  if (!bytes || bytes->size() > max_blob_ || bytes->size() > budget_) return;
  absl::MutexLock l(&mu_);
  if (slots_.count(key)) return;
  while (used_ + bytes->size() > budget_ && !slots_.empty()) {
    // Eviction scans for the oldest entry: O(n), but n stays small (budget / blob size) and
    // eviction happens only on a miss.
    auto oldest = slots_.begin();
    for (auto it = slots_.begin(); it != slots_.end(); ++it) {
      if (it->second.last_use < oldest->second.last_use) oldest = it;
    }
    used_ -= oldest->second.bytes->size();
    slots_.erase(oldest);
  }
  used_ += bytes->size();
  slots_[key] = Slot{std::move(bytes), ++tick_};
}

}  // namespace bulwark
