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

void PackumentCache::Put(std::string_view base_url, std::shared_ptr<const CachedPackage> entry) {
  absl::MutexLock l(&mu_);
  if (slots_.size() >= max_entries_) {
    // Crude but bounded: start over when full. Rendering is cheap next to a memory blow-up.
    slots_.clear();
    by_name_.clear();
  }
  std::string key = Key(entry->name, base_url);
  auto& keys = by_name_[entry->name];
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  absl::Time validated = entry->validated;
  slots_[key] = Slot{std::move(entry), validated};
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

}  // namespace bulwark
