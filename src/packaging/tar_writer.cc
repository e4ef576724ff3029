#include "packaging/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

#include "base/strings.h"

namespace bulwark {
namespace {

la_ssize_t Append(struct archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

}  // namespace

absl::StatusOr<std::string> WritePackageTarball(
    const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out;
  std::unique_ptr<struct archive, decltype(&archive_write_free)> a(archive_write_new(),
                                                                   archive_write_free);
  if (!a) return absl::InternalError("libarchive: out of memory");
  auto fail = [&](std::string_view what) {
    return absl::InternalError(
        StrCat("libarchive: ", what, ": ",
               archive_error_string(a.get()) ? archive_error_string(a.get()) : "unknown error"));
  };
  if (archive_write_set_format_ustar(a.get()) != ARCHIVE_OK ||
      archive_write_add_filter_gzip(a.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
      archive_write_open(a.get(), &out, nullptr, Append, nullptr) != ARCHIVE_OK) {
    return fail("open");
  }
  for (const auto& [path, content] : files) {
    std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(),
                                                                           archive_entry_free);
    std::string full = StrCat("package/", path);
    archive_entry_set_pathname(e.get(), full.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_mtime(e.get(), 499162500, 0);  // npm pack's fixed 1985-10-26 date.
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) return fail("header");
    if (!content.empty() && archive_write_data(a.get(), content.data(), content.size()) !=
                                static_cast<la_ssize_t>(content.size())) {
      return fail("data");
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return fail("close");
  return out;
}

}  // namespace bulwark
