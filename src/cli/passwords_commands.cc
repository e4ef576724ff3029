// `bulwark passwords import FILE... [--output PATH] [--prefix ABCDE] [--plain]` and
// `bulwark passwords check [--filter PATH]`.
//
// Import reads Have I Been Pwned Pwned-Passwords files ("SHA1HEX:COUNT" lines; range files named
// ABCDE.txt hold 35-character suffixes) or, with --plain, one password per line, and writes the
// breached-password filter (docs/security.md §Breached passwords) to a temporary file renamed
// into place, so a running server never maps a half-written filter. Check reads one password on
// stdin and exits 1 when it is in the filter, 0 when not, 2 on error.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "accounts/breached/password_filter.h"
#include "base/strings.h"
#include "cli/common.h"
#include "server/breached_passwords.h"

namespace bulwark::cli {
namespace {

struct ImportFlags {
  std::vector<std::string> files;
  std::string output;
  std::string prefix;
  bool plain = false;
  size_t min_length = 0;
};

// Streams `path` through `consume` in 1 MiB chunks: the full corpus is tens of gigabytes.
template <typename F>
absl::Status ForEachChunk(const std::string& path, F consume) {
  std::FILE* in = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (in == nullptr) return absl::NotFoundError(StrCat("cannot read ", path));
  std::string buf(1 << 20, '\0');
  absl::Status s;
  while (s.ok()) {
    size_t got = std::fread(buf.data(), 1, buf.size(), in);
    if (got == 0) break;
    s = consume(std::string_view(buf.data(), got));
  }
  if (s.ok() && std::ferror(in)) s = absl::UnavailableError(StrCat("error reading ", path));
  if (in != stdin) std::fclose(in);
  return s;
}

absl::Status ImportPlain(const std::string& path, size_t min_length,
                         breached::PasswordFilterBuilder& builder) {
  std::string partial;
  auto line = [&](std::string_view l) {
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (!l.empty() && l.size() >= min_length) builder.AddPassword(l);
  };
  BULWARK_RETURN_IF_ERROR(ForEachChunk(path, [&](std::string_view chunk) {
    size_t nl;
    while ((nl = chunk.find('\n')) != std::string_view::npos) {
      if (partial.empty()) {
        line(chunk.substr(0, nl));
      } else {
        partial.append(chunk.substr(0, nl));
        line(partial);
        partial.clear();
      }
      chunk.remove_prefix(nl + 1);
    }
    partial.append(chunk);
    return absl::OkStatus();
  }));
  line(partial);
  return absl::OkStatus();
}

absl::Status ImportHibp(const std::string& path, const std::string& prefix_flag,
                        breached::PasswordFilterBuilder& builder) {
  std::string prefix = prefix_flag.empty() ? breached::RangePrefixFromFileName(path) : prefix_flag;
  BULWARK_ASSIGN_OR_RETURN(breached::HibpReader reader,
                           breached::HibpReader::Create(builder, prefix));
  auto with_path = [&](absl::Status s) {
    return s.ok() ? s : absl::Status(s.code(), StrCat(path, ": ", s.message()));
  };
  BULWARK_RETURN_IF_ERROR(with_path(
      ForEachChunk(path, [&](std::string_view chunk) { return reader.Consume(chunk); })));
  return with_path(reader.Finish());
}

int Import(const CommonFlags& flags, const ImportFlags& f) {
  auto start = std::chrono::steady_clock::now();
  std::string output = f.output;
  if (output.empty()) {
    auto config = BuildConfig(flags);
    if (!config.ok()) return Fail(config.status());
    std::error_code ec;
    std::filesystem::create_directories(config->data_dir, ec);
    output = ImportedPasswordFilterPath(*config);
  }
  breached::PasswordFilterBuilder builder;
  for (const auto& path : f.files) {
    absl::Status s = f.plain ? ImportPlain(path, f.min_length, builder)
                             : ImportHibp(path, f.prefix, builder);
    if (!s.ok()) return Fail(s);
  }
  const size_t lines = builder.added();
  std::string bytes = builder.Finish();
  auto filter = breached::PasswordFilter::FromBytes(bytes);
  if (!filter.ok()) return Fail(filter.status());  // A bug, not bad input.
  const std::string tmp = StrCat(output, ".tmp.", ::getpid());
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  if (out == nullptr) return Fail(absl::UnavailableError(StrCat("cannot write ", tmp)));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size();
  ok = (std::fflush(out) == 0) && ok && ::fsync(::fileno(out)) == 0;
  ok = (std::fclose(out) == 0) && ok;
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, output, ec);
  if (!ok || ec) {
    std::filesystem::remove(tmp, ec);
    return Fail(absl::UnavailableError(StrCat("cannot write ", output)));
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("wrote %s: %llu hashes from %zu lines, %zu bytes (%.2f bits per hash) in %.1f s\n",
              output.c_str(), static_cast<unsigned long long>(filter->size()), lines,
              bytes.size(), filter->bits_per_hash(), secs);
  std::printf("restart the server to use it\n");
  return 0;
}

int Check(const CommonFlags& flags, const std::string& filter_path) {
  absl::StatusOr<std::unique_ptr<LoadedPasswordFilter>> loaded;
  if (!filter_path.empty()) {
    loaded = LoadPasswordFilterFile(filter_path);
  } else {
    auto config = BuildConfig(flags);
    if (!config.ok()) return Fail(config.status());
    loaded = LoadPasswordFilter(*config);
  }
  if (!loaded.ok()) return Fail(loaded.status());
  if (::isatty(STDIN_FILENO)) std::fprintf(stderr, "password: ");
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  bool breached = (*loaded)->filter.Contains(password);
  std::printf("%s (%s, %llu hashes)\n", breached ? "breached" : "not found",
              (*loaded)->file->path().c_str(),
              static_cast<unsigned long long>((*loaded)->filter.size()));
  return breached ? 1 : 0;
}

}  // namespace

void AddPasswordsCommands(CLI::App& app, CommonFlags& flags, int& exit_code) {
  CLI::App* passwords = app.add_subcommand("passwords", "Breached-password filter");
  passwords->require_subcommand(1);

  auto import_flags = std::make_shared<ImportFlags>();
  CLI::App* import = passwords->add_subcommand(
      "import", "Build the breached-password filter from Pwned Passwords files");
  AddCommonFlags(import, flags);
  import->add_option("files", import_flags->files, "SHA1HEX:COUNT files ('-' for stdin)")
      ->required();
  import->add_option("--output", import_flags->output,
                     "Filter to write (default <data_dir>/breached-passwords.filter)");
  import->add_option("--prefix", import_flags->prefix,
                     "5-hex-character range prefix (default: from a file named ABCDE.txt)");
  import->add_flag("--plain", import_flags->plain, "Files hold one password per line");
  import->add_option("--min-length", import_flags->min_length,
                     "With --plain: skip shorter passwords");
  import->callback(
      [&flags, &exit_code, import_flags] { exit_code = Import(flags, *import_flags); });

  auto filter_path = std::make_shared<std::string>();
  CLI::App* check = passwords->add_subcommand(
      "check", "Read a password on stdin; exit 1 if it is in the breached-password filter");
  AddCommonFlags(check, flags);
  check->add_option("--filter", *filter_path, "Filter file (default: the server's)");
  check->callback([&flags, &exit_code, filter_path] { exit_code = Check(flags, *filter_path); });
}

}  // namespace bulwark::cli
