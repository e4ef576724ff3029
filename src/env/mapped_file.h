#pragma once
// A read-only memory map of a whole file: how large, rarely-touched data (the breached-password
// filter) is read without loading it. Domain code gets bytes(); only env/ touches the file.

#include <memory>
#include <string>
#include <string_view>

#include "bulwark/base/status.h"

namespace bulwark {

class MappedFile {
 public:
  // NotFound when `path` does not exist; other errors name the path and errno's text.
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Page-aligned; empty for an empty file.
  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  void* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace bulwark
