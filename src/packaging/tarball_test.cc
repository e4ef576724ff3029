#include "packaging/tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark {
namespace {

// ---------------------------------------------------------------------------------------------
// Building archives.

// `npm pack` of a four-file package (package.json, index.js, lib/x.js, README.md), npm 11.
constexpr unsigned char kNpmPackFixture[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0xed, 0x96, 0xcd, 0x4a, 0x03, 0x31,
    0x10, 0x80, 0x73, 0xee, 0x53, 0x0c, 0xeb, 0x41, 0x85, 0x9a, 0x4e, 0xf6, 0x27, 0x05, 0xa5, 0x42,
    0xc1, 0x1e, 0x3c, 0xf4, 0x22, 0xbe, 0x40, 0xb6, 0x9b, 0x6a, 0xda, 0xdd, 0xec, 0x92, 0x64, 0x75,
    0x8b, 0xf8, 0xee, 0xd2, 0xed, 0xea, 0xc1, 0x7a, 0xac, 0x5b, 0xb4, 0xf9, 0x2e, 0x43, 0x66, 0x60,
    0x48, 0x20, 0x5f, 0x26, 0x95, 0x58, 0xac, 0xc5, 0x93, 0x1c, 0x29, 0x9d, 0xc9, 0x86, 0xae, 0x2c,
    0xf9, 0x05, 0x10, 0x91, 0xc7, 0x31, 0xfc, 0x94, 0x6f, 0x89, 0x22, 0x20, 0x51, 0xc2, 0x91, 0x31,
    0xce, 0x31, 0x06, 0x82, 0x0c, 0xc7, 0x21, 0x03, 0x82, 0xa4, 0x07, 0x6a, 0xeb, 0x84, 0x21, 0x88,
    0x07, 0x38, 0x24, 0x22, 0xc2, 0x57, 0xfc, 0x23, 0x14, 0x65, 0x56, 0xe7, 0x92, 0xca, 0xa6, 0x2a,
    0x8d, 0xb3, 0x30, 0x81, 0x8b, 0x4b, 0x98, 0xdc, 0x42, 0x1c, 0xde, 0x0c, 0x88, 0xe7, 0xff, 0x53,
    0x75, 0xfe, 0xe7, 0x2a, 0x1d, 0x1d, 0xcb, 0x7f, 0x36, 0xde, 0xf3, 0x9f, 0x47, 0xde, 0xff, 0x5e,
    0xe8, 0xc4, 0xa7, 0x0d, 0x4c, 0x80, 0x79, 0xe7, 0x4f, 0xd6, 0xff, 0x2e, 0xd2, 0x95, 0x2d, 0x75,
    0xcf, 0xfe, 0x87, 0x9c, 0x7f, 0xf7, 0x9f, 0x25, 0x49, 0xe8, 0xfd, 0xef, 0x83, 0xb7, 0x01, 0x40,
    0xa0, 0x45, 0x21, 0x83, 0x6b, 0x08, 0xd2, 0x3a, 0x7f, 0x15, 0x66, 0x7d, 0xb5, 0x54, 0x8d, 0xab,
    0x8d, 0x0c, 0x86, 0xdb, 0xe2, 0x8b, 0x34, 0x56, 0x95, 0x7a, 0x5b, 0x67, 0x14, 0x29, 0xee, 0xb2,
    0x99, 0xb4, 0x0b, 0xa3, 0x2a, 0xd7, 0x55, 0xa6, 0xe0, 0x94, 0xde, 0x40, 0x77, 0x8b, 0xda, 0x28,
    0x33, 0x48, 0x37, 0xa0, 0xab, 0xa2, 0x5d, 0x0d, 0x61, 0x59, 0x1a, 0x70, 0xcf, 0x12, 0x9c, 0x30,
    0xa9, 0xc8, 0x73, 0x30, 0x52, 0x64, 0xd2, 0x9c, 0x5b, 0x70, 0xd2, 0x3a, 0xbb, 0xeb, 0x5a, 0x08,
    0xd5, 0xb6, 0xfb, 0xfc, 0x8d, 0xee, 0xb2, 0xb9, 0x5a, 0x48, 0x6d, 0xdb, 0x1d, 0xce, 0xef, 0x1f,
    0x83, 0xc1, 0xbb, 0x7f, 0xa6, 0x0e, 0xee, 0xff, 0xc3, 0x6c, 0x7a, 0x37, 0x9f, 0xd1, 0x22, 0x3b,
    0xc6, 0xfc, 0x0f, 0xf7, 0xe6, 0x7f, 0x12, 0xa1, 0xf7, 0xbf, 0x0f, 0xce, 0xa0, 0x93, 0xdd, 0x3b,
    0xe5, 0xf1, 0x78, 0x3c, 0x27, 0xc5, 0x07, 0x61, 0x1e, 0xf6, 0xe5, 0x00, 0x14, 0x00, 0x00,
};

constexpr char kManifest[] = R"({"name":"demo","version":"1.0.0"})";

struct Entry {
  std::string path;
  std::string content;
  mode_t type;       // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFBLK or AE_IFIFO.
  std::string link;  // Symlink target; with `hardlink`, the hard link's target.
  bool hardlink;
  unsigned perm;
};

Entry File(std::string path, std::string content, unsigned perm = 0644) {
  return {std::move(path), std::move(content), AE_IFREG, "", false, perm};
}
Entry Dir(std::string path) { return {std::move(path), "", AE_IFDIR, "", false, 0755}; }
Entry Symlink(std::string path, std::string target) {
  return {std::move(path), "", AE_IFLNK, std::move(target), false, 0777};
}
Entry HardLink(std::string path, std::string target) {
  return {std::move(path), "", AE_IFREG, std::move(target), true, 0644};
}
Entry Special(std::string path, mode_t type) {
  return {std::move(path), "", type, "", false, 0644};
}

std::vector<Entry> Package() {
  return {File("package/package.json", kManifest),
          File("package/index.js", "module.exports = 1;\n")};
}

std::vector<Entry> With(std::vector<Entry> entries, const Entry& extra) {
  entries.push_back(extra);
  return entries;
}

enum class Format { kPax, kUstar, kGnu };

la_ssize_t AppendTo(archive*, void* out, const void* data, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(data), n);
  return static_cast<la_ssize_t>(n);
}

// A tar written by libarchive, gzip'd by libarchive's own filter when `gzip`.
std::string WriteArchive(const std::vector<Entry>& entries, Format format, bool gzip) {
  std::string out;
  archive* a = archive_write_new();
  if (gzip) archive_write_add_filter_gzip(a);
  switch (format) {
    case Format::kPax:
      archive_write_set_format_pax_restricted(a);
      break;
    case Format::kUstar:
      archive_write_set_format_ustar(a);
      break;
    case Format::kGnu:
      archive_write_set_format_gnutar(a);
      break;
  }
  archive_write_set_bytes_in_last_block(a, 1);  // No zero padding after the stream, as npm.
  archive_write_open(a, &out, nullptr, AppendTo, nullptr);
  for (const Entry& e : entries) {
    archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    archive_entry_set_perm(ae, e.perm);
    archive_entry_set_mtime(ae, 499162500, 0);  // npm pack's fixed date.
    archive_entry_set_filetype(ae, e.type);
    if (e.hardlink) archive_entry_set_hardlink(ae, e.link.c_str());
    if (e.type == AE_IFLNK) archive_entry_set_symlink(ae, e.link.c_str());
    archive_entry_set_size(ae, e.type == AE_IFREG && !e.hardlink ? e.content.size() : 0);
    EXPECT_EQ(archive_write_header(a, ae), ARCHIVE_OK) << archive_error_string(a);
    if (!e.content.empty()) archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::string Tgz(const std::vector<Entry>& entries, Format format = Format::kPax) {
  return WriteArchive(entries, format, /*gzip=*/true);
}
std::string Tar(const std::vector<Entry>& entries, Format format = Format::kPax) {
  return WriteArchive(entries, format, /*gzip=*/false);
}

void Deflate(z_stream* zs, std::string_view in, int flush, std::string* out) {
  zs->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs->avail_in = static_cast<uInt>(in.size());
  char buf[1 << 14];
  do {
    zs->next_out = reinterpret_cast<Bytef*>(buf);
    zs->avail_out = sizeof buf;
    ASSERT_NE(deflate(zs, flush), Z_STREAM_ERROR);
    out->append(buf, sizeof buf - zs->avail_out);
  } while (zs->avail_out == 0);
}

// gzip by hand (raw deflate between an RFC 1952 header and trailer), so that a run of zeros can
// be appended as copies of one compressed block: a 10 GiB bomb costs 10 MiB and no 10 GiB loop.
// Every block ends in a full flush, so no block refers back into another.
class GzipWriter {
 public:
  static constexpr uint64_t kZeroChunk = 1 << 20;

  GzipWriter() {
    deflateInit2(&zs_, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
    out_.assign("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10);
  }
  ~GzipWriter() { deflateEnd(&zs_); }

  GzipWriter& Append(std::string_view data) {
    Deflate(&zs_, data, Z_FULL_FLUSH, &out_);
    Track(crc32(0, reinterpret_cast<const Bytef*>(data.data()), data.size()), data.size());
    return *this;
  }

  GzipWriter& AppendZeros(uint64_t n) {
    static const std::string* const block = [] {
      z_stream zs{};
      deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
      auto* out = new std::string;
      Deflate(&zs, std::string(kZeroChunk, '\0'), Z_FULL_FLUSH, out);
      deflateEnd(&zs);
      return out;
    }();
    static const uLong block_crc =
        crc32(0, reinterpret_cast<const Bytef*>(std::string(kZeroChunk, '\0').data()), kZeroChunk);
    for (; n >= kZeroChunk; n -= kZeroChunk) {
      out_ += *block;
      Track(block_crc, kZeroChunk);
    }
    if (n > 0) Append(std::string(n, '\0'));
    return *this;
  }

  std::string Finish() {
    Deflate(&zs_, "", Z_FINISH, &out_);
    for (uint32_t v : {static_cast<uint32_t>(crc_), static_cast<uint32_t>(size_)}) {
      for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
    }
    return std::move(out_);
  }

 private:
  void Track(uLong crc, uint64_t n) {
    crc_ = crc32_combine(crc_, crc, static_cast<z_off_t>(n));
    size_ += n;
  }

  z_stream zs_{};
  std::string out_;
  uLong crc_ = 0;
  uint64_t size_ = 0;
};

std::string Gzip(std::string_view data) { return GzipWriter().Append(data).Finish(); }

// Tar blocks by hand, for what libarchive's writer will not produce. Built with designated
// initializers, which GCC before 14 flags when they leave members at their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
struct RawHeader {
  std::string name;
  uint64_t size = 0;
  char type = '0';
  std::string link;
  std::string prefix;
  bool gnu_magic = false;
  bool signed_checksum = false;  // Old BSD tar's sum; libarchive accepts it, node-tar does not.
  std::string size_field;        // Verbatim size field when set.
  std::string gnu_sparse_map;    // At offset 386 of a GNU header; only libarchive reads it.
  std::string magic;             // Verbatim magic and version (8 bytes) when set.
  std::vector<std::pair<size_t, std::string>> raw;  // Bytes written last, at these offsets.
};

std::string Octal(uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llo", digits, static_cast<unsigned long long>(v));
  return std::string(buf) + '\0';
}

std::string Header(const RawHeader& r) {
  std::string b(512, '\0');
  auto put = [&](size_t off, std::string_view s) { b.replace(off, s.size(), s); };
  put(0, r.name.substr(0, 100));
  put(100, Octal(0644, 7));
  put(108, Octal(0, 7));
  put(116, Octal(0, 7));
  put(124, r.size_field.empty() ? Octal(r.size, 11) : r.size_field);
  put(136, Octal(499162500, 11));
  b[156] = r.type;
  put(157, r.link.substr(0, 100));
  if (!r.magic.empty()) {
    put(257, r.magic);
  } else {
    put(257, r.gnu_magic ? std::string("ustar  ", 8) : std::string("ustar", 6) + "00");
  }
  put(345, r.prefix.substr(0, 155));
  put(386, r.gnu_sparse_map);
  for (const auto& [offset, bytes] : r.raw) put(offset, bytes);
  put(148, "        ");
  int sum = 0;
  for (char c : b) {
    sum += r.signed_checksum ? static_cast<signed char>(c) : static_cast<unsigned char>(c);
  }
  put(148, Octal(sum, 6) + ' ');
  return b;
}

std::string Padded(std::string_view data) {
  std::string s(data);
  s.resize((s.size() + 511) / 512 * 512, '\0');
  return s;
}

std::string RawFile(const std::string& name, std::string_view content) {
  return Header({.name = name, .size = content.size()}) + Padded(content);
}

std::string Record(std::string_view key, std::string_view value) {
  std::string tail = " " + std::string(key) + "=" + std::string(value) + "\n";
  size_t n = tail.size() + 1;
  while (std::to_string(n).size() + tail.size() != n) ++n;
  return std::to_string(n) + tail;
}

std::string Pax(std::string_view records, char type = 'x') {
  return Header({.name = "PaxHeader/entry", .size = records.size(), .type = type}) +
         Padded(records);
}

std::string EndOfArchive() { return std::string(1024, '\0'); }

// The two files of Package(), by hand.
std::string RawPackage() {
  return RawFile("package/package.json", kManifest) +
         RawFile("package/index.js", "module.exports = 1;\n");
}

// ---------------------------------------------------------------------------------------------
// Checking results.

testing::AssertionResult Fails(const absl::StatusOr<TarballContents>& result, absl::StatusCode code,
                               std::string_view message) {
  if (result.ok()) return testing::AssertionFailure() << "succeeded";
  if (result.status().code() != code ||
      std::string(result.status().message()).find(message) == std::string::npos) {
    return testing::AssertionFailure() << result.status();
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult Invalid(const absl::StatusOr<TarballContents>& result,
                                 std::string_view message) {
  return Fails(result, absl::StatusCode::kInvalidArgument, message);
}

testing::AssertionResult Exhausted(const absl::StatusOr<TarballContents>& result,
                                   std::string_view message) {
  return Fails(result, absl::StatusCode::kResourceExhausted, message);
}

std::vector<std::string> Paths(const TarballContents& c) {
  std::vector<std::string> paths;
  for (const TarballFile& f : c.files) paths.push_back(f.path);
  return paths;
}

const TarballLimits kDefaults;

// ---------------------------------------------------------------------------------------------
// Packages that must be read.

TEST(ReadTarball, ReadsNpmPackOutput) {
  std::string tgz(reinterpret_cast<const char*>(kNpmPackFixture), sizeof kNpmPackFixture);
  absl::StatusOr<TarballContents> c = ReadTarball(tgz, kDefaults);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Paths(*c),
            (std::vector<std::string>{"index.js", "lib/x.js", "package.json", "README.md"}));
  EXPECT_NE(c->package_json.find("\"name\": \"bulwark-fixture\""), std::string::npos);
  EXPECT_EQ(c->package_json.size(), 182u);
  EXPECT_EQ(c->unpacked_size, 27u + 15 + 182 + 10);
  EXPECT_FALSE(c->has_shrinkwrap);
  EXPECT_EQ(c->files[0].content, "module.exports = () => 42;\n");
  EXPECT_EQ(c->files[0].mode, 0644u);
}

TEST(ReadTarball, ReadsEveryTarFormat) {
  for (Format format : {Format::kPax, Format::kUstar, Format::kGnu}) {
    std::vector<Entry> entries = Package();
    entries.push_back(Dir("package/lib/"));
    entries.push_back(File("package/lib/cli.js", "#!/usr/bin/env node\n", 0755));
    absl::StatusOr<TarballContents> c = ReadTarball(Tgz(entries, format), kDefaults);
    ASSERT_TRUE(c.ok()) << c.status();
    // Folders are not listed; paths lose the top folder.
    EXPECT_EQ(Paths(*c), (std::vector<std::string>{"package.json", "index.js", "lib/cli.js"}));
    EXPECT_EQ(c->package_json, kManifest);
    EXPECT_EQ(c->files[2].mode, 0755u);
    EXPECT_EQ(c->files[2].content, "#!/usr/bin/env node\n");
    EXPECT_TRUE(c->files[2].content_kept);
    EXPECT_EQ(c->unpacked_size, std::string(kManifest).size() + 20 + 20);
  }
}

TEST(ReadTarball, TopFolderNeedNotBePackage) {
  absl::StatusOr<TarballContents> c = ReadTarball(
      Tgz({File("node-demo/package.json", kManifest), File("node-demo/a.js", "1")}), kDefaults);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Paths(*c), (std::vector<std::string>{"package.json", "a.js"}));
}

TEST(ReadTarball, LongPathsInPaxAndGnuHeaders) {
  std::string deep = "package/" + std::string(150, 'd') + "/" + std::string(90, 'f') + ".js";
  for (Format format : {Format::kPax, Format::kGnu}) {
    absl::StatusOr<TarballContents> c =
        ReadTarball(Tgz(With(Package(), File(deep, "x")), format), kDefaults);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->files.back().path, deep.substr(8));
  }
}

TEST(ReadTarball, NonAsciiNamesAreReadAsUtf8) {
  // Raw: libarchive's writer cannot take non-ASCII names in the C locale tests run in.
  std::string name = "package/\xe6\x97\xa5\xe6\x9c\xac.md";
  for (const std::string& tar : {RawPackage() + RawFile(name, "x") + EndOfArchive(),
                                 RawPackage() + Pax(Record("path", name)) +
                                     RawFile("package/ascii-fallback", "x") + EndOfArchive()}) {
    absl::StatusOr<TarballContents> c = ReadTarball(Gzip(tar), kDefaults);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->files.back().path, name.substr(8));
  }
}

TEST(ReadTarball, UstarPrefixJoinsTheName) {
  std::string tar = RawPackage() + Header({.name = "x.js", .size = 1, .prefix = "package/lib"}) +
                    Padded("1") + EndOfArchive();
  absl::StatusOr<TarballContents> c = ReadTarball(Gzip(tar), kDefaults);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->files.back().path, "lib/x.js");
}

TEST(ReadTarball, PaxSizeOverridesTheHeaderForBothReaders) {
  std::string tar = RawPackage() + Pax(Record("size", "5")) +
                    Header({.name = "package/five.txt", .size = 0}) + Padded("12345") +
                    EndOfArchive();
  absl::StatusOr<TarballContents> c = ReadTarball(Gzip(tar), kDefaults);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->files.back().content, "12345");
}

TEST(ReadTarball, GitArchiveGlobalCommentIsAllowed) {
  std::string tar = Pax(Record("comment", "0123456789abcdef0123456789abcdef01234567"), 'g') +
                    RawPackage() + EndOfArchive();
  EXPECT_TRUE(ReadTarball(Gzip(tar), kDefaults).ok());
}

TEST(ReadTarball, ShrinkwrapIsNoticed) {
  absl::StatusOr<TarballContents> c =
      ReadTarball(Tgz(With(Package(), File("package/npm-shrinkwrap.json", "{}"))), kDefaults);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->has_shrinkwrap);
}

TEST(ReadTarball, KeepsContentOnlyUpToTheLimit) {
  TarballLimits limits;
  limits.keep_content_up_to = 10;
  absl::StatusOr<TarballContents> c =
      ReadTarball(Tgz(With(Package(), File("package/big.txt", std::string(11, 'b')))), limits);
  ASSERT_TRUE(c.ok()) << c.status();
  const TarballFile& big = c->files.back();
  EXPECT_EQ(big.size, 11u);
  EXPECT_FALSE(big.content_kept);
  EXPECT_TRUE(big.content.empty());
  // package.json (33 bytes, past the limit) is kept anyway.
  EXPECT_TRUE(c->files[0].content_kept);
  EXPECT_EQ(c->package_json, kManifest);
}

TEST(ReadTarball, ConcatenatedGzipMembersAreOneStream) {
  std::string tar = Tar(Package());
  std::string tgz = Gzip(tar.substr(0, 700)) + Gzip(tar.substr(700));
  absl::StatusOr<TarballContents> c = ReadTarball(tgz, kDefaults);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->package_json, kManifest);
}

TEST(ReadTarball, ArchiveWithoutEndBlocksIsRead) {
  EXPECT_TRUE(ReadTarball(Gzip(RawPackage()), kDefaults).ok());
}

TEST(ExtractPackageJson, ReturnsTheManifest) {
  absl::StatusOr<std::string> m = ExtractPackageJson(Tgz(Package()), kDefaults);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, kManifest);
  EXPECT_EQ(ExtractPackageJson("junk", kDefaults).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Not a gzip'd tar.

TEST(ReadTarball, RefusesWhatIsNotGzip) {
  std::string tar = Tar(Package());
  for (std::string_view input :
       {std::string_view(""), std::string_view("\x1f"), std::string_view(tar),
        std::string_view("PK\x03\x04zip"), std::string_view("BZh91AY&SY"),
        std::string_view("\xfd"
                         "7zXZ\0",
                         6),
        std::string_view("\x28\xb5\x2f\xfd zstd")}) {
    EXPECT_TRUE(Invalid(ReadTarball(input, kDefaults), "tarball is not gzip-compressed"));
  }
}

TEST(ReadTarball, RefusesGzipOfSomethingElse) {
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(std::string(2048, 'x')), kDefaults),
                      "tarball is not a valid tar archive: "));
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(""), kDefaults), "tarball is not a valid tar archive: "));
}

TEST(ReadTarball, RefusesTruncatedGzip) {
  std::string tgz = Tgz(Package());
  for (size_t cut : {size_t{10}, tgz.size() / 2, tgz.size() - 1}) {
    EXPECT_TRUE(Invalid(ReadTarball(tgz.substr(0, cut), kDefaults),
                        "tarball is truncated: the gzip stream ends early"));
  }
}

TEST(ReadTarball, RefusesCorruptGzip) {
  std::string tgz = Tgz(Package());
  std::string bad_crc = tgz;
  bad_crc[bad_crc.size() - 6] ^= 0x55;  // In the CRC-32 of the trailer.
  EXPECT_TRUE(Invalid(ReadTarball(bad_crc, kDefaults),
                      "tarball has corrupt gzip data: incorrect data check"));
  std::string bad_method = tgz;
  bad_method[2] = 7;  // Compression method other than deflate.
  EXPECT_TRUE(Invalid(ReadTarball(bad_method, kDefaults), "tarball has corrupt gzip data: "));
}

TEST(ReadTarball, RefusesDataAfterTheGzipStream) {
  std::string tgz = Tgz(Package());
  EXPECT_TRUE(Invalid(ReadTarball(tgz + "PK\x05\x06 a zip directory", kDefaults),
                      "tarball has data after the end of the gzip stream"));
  EXPECT_TRUE(Invalid(ReadTarball(tgz + std::string(100, '\0') + "x", kDefaults),
                      "tarball has data after the end of the gzip stream"));
  // Zero padding after the stream (libarchive's writer pads to 10 KiB blocks) is fine.
  EXPECT_TRUE(ReadTarball(tgz + std::string(1000, '\0'), kDefaults).ok());
}

TEST(ReadTarball, RefusesTarTruncatedInsideAnEntry) {
  std::string tar = RawPackage();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar.substr(0, tar.size() - 100)), kDefaults),
                      "tarball is truncated: the tar data ends inside an entry"));
}

TEST(ReadTarball, RefusesArchiveWithoutPackageJson) {
  EXPECT_TRUE(Invalid(ReadTarball(Tgz({File("package/index.js", "1")}), kDefaults),
                      "tarball has no package.json"));
  // Only package.json right under the top folder counts.
  EXPECT_TRUE(Invalid(ReadTarball(Tgz({File("package/lib/package.json", kManifest)}), kDefaults),
                      "tarball has no package.json"));
}

// ---------------------------------------------------------------------------------------------
// Paths.

TEST(ReadTarball, RefusesBadPaths) {
  struct Case {
    std::string path;
    std::string message;
  };
  const Case cases[] = {
      {"/etc/passwd", "tarball entry path is absolute: \"/etc/passwd\""},
      {"package/../../etc/cron.d/x", "tarball entry path has a \"..\" component: "},
      {"package/lib/..", "has a \"..\" component"},
      {"../package/x.js", "has a \"..\" component"},
      {"package\\..\\..\\evil.js",
       "tarball entry path has a backslash: \"package\\\\..\\\\..\\\\evil.js\""},
      {"package/a\\b.js", "has a backslash"},
      {"package/line\nbreak.js",
       "tarball entry path has a control character: \"package/line\\x0abreak.js\""},
      {"package/esc\x1b[31m.js", "has a control character"},
      {"package//package.json", "tarball entry path has an empty or \".\" component: "},
      {"package/./package.json", "has an empty or \".\" component"},
      {"package/C:evil.js", "tarball entry path has a component starting with a drive letter"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    EXPECT_TRUE(
        Invalid(ReadTarball(Tgz(With(Package(), File(c.path, "x")), Format::kUstar), kDefaults),
                c.message));
  }
}

TEST(ReadTarball, NormalisesDotComponentsOnlyWhenAskedTo) {
  // Real upstream packages contain "package/./dist/x.js" (docs/proxy.md); the proxy reads them
  // for scanning with normalize_dot_components, publish keeps refusing them.
  TarballLimits fetched = kDefaults;
  fetched.normalize_dot_components = true;
  auto tgz = Tgz(With(Package(), File("package/./dist/x.js", "x")), Format::kUstar);
  EXPECT_TRUE(Invalid(ReadTarball(tgz, kDefaults), "has an empty or \".\" component"));
  auto read = ReadTarball(tgz, fetched);
  ASSERT_TRUE(read.ok()) << read.status();
  bool found = false;
  for (const auto& f : read->files) found = found || f.path == "dist/x.js";
  EXPECT_TRUE(found);
  // Traversal and empty components stay refused.
  for (std::string bad : {"package/./../etc/x", "package/.//x.js"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ReadTarball(Tgz(With(Package(), File(bad, "x")), Format::kUstar), fetched).ok());
  }
}

TEST(ReadTarball, RefusesNamesThatAreNotUtf8) {
  // Overlong "/", a UTF-16 surrogate, a stray byte. The message escapes the bytes.
  for (std::string name : {"package/\xc0\xaf.js", "package/\xed\xa0\x80.js"}) {
    EXPECT_TRUE(
        Invalid(ReadTarball(Tgz(With(Package(), File(name, "x")), Format::kUstar), kDefaults),
                "tarball entry path is not valid UTF-8"));
  }
  EXPECT_TRUE(Invalid(
      ReadTarball(Tgz(With(Package(), File("package/\xff\xc3\xa9.js", "x")), Format::kUstar),
                  kDefaults),
      "tarball entry path is not valid UTF-8: \"package/\\xff\xc3\xa9.js\""));
}

TEST(ReadTarball, RefusesNulInAPaxPath) {
  // A NUL cuts the name short for libarchive; node-tar cuts it elsewhere.
  std::string tar = RawPackage() + Pax(Record("path", std::string("package/a.js\0.sh", 16))) +
                    RawFile("package/b.js", "x") + EndOfArchive();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                      "tarball is not a valid tar archive: malformed pax header"));
}

TEST(ReadTarball, RefusesPathsPastTheLengthLimit) {
  TarballLimits limits;
  limits.max_path_length = 50;
  std::string name = "package/" + std::string(42, 'a');  // 50 bytes.
  EXPECT_TRUE(ReadTarball(Tgz(With(Package(), File(name, "x"))), limits).ok());
  EXPECT_TRUE(Invalid(ReadTarball(Tgz(With(Package(), File(name + "a", "x"))), limits),
                      "tarball entry path is longer than 50 bytes: \"package/aaaa"));
}

TEST(ReadTarball, RefusesEntriesOutsideOneTopFolder) {
  EXPECT_TRUE(Invalid(ReadTarball(Tgz(With(Package(), File("other/x.js", "x"))), kDefaults),
                      "tarball entries must share one top-level folder: \"other/x.js\" is not "
                      "inside \"package\""));
  EXPECT_TRUE(Invalid(ReadTarball(Tgz(With(Package(), File("index.js", "x"))), kDefaults),
                      "tarball entry \"index.js\" is not inside a folder; npm skips it"));
}

TEST(ReadTarball, RefusesLinks) {
  EXPECT_TRUE(
      Invalid(ReadTarball(Tgz(With(Package(), Symlink("package/link", "/etc/passwd"))), kDefaults),
              "tarball entry \"package/link\" is a symbolic link; npm packages cannot "
              "contain links"));
  EXPECT_TRUE(Invalid(
      ReadTarball(Tgz(With(Package(), HardLink("package/hard", "package/index.js"))), kDefaults),
      "tarball entry \"package/hard\" is a hard link"));
}

TEST(ReadTarball, RefusesDevicesAndFifos) {
  for (mode_t type : {AE_IFCHR, AE_IFBLK, AE_IFIFO}) {
    EXPECT_TRUE(Invalid(ReadTarball(Tgz(With(Package(), Special("package/dev", type))), kDefaults),
                        "tarball entry \"package/dev\" is a device, FIFO or socket"));
  }
}

TEST(ReadTarball, RefusesSetuidFiles) {
  EXPECT_TRUE(Invalid(ReadTarball(Tgz(With(Package(), File("package/run", "x", 04755))), kDefaults),
                      "tarball entry \"package/run\" has the setuid or setgid bit set"));
}

TEST(ReadTarball, RefusesASecondPackageJson) {
  // Manifest confusion: the registry would check one manifest while npm installs the other.
  std::vector<Entry> entries = With(Package(), File("package/package.json", R"({"name":"evil"})"));
  EXPECT_TRUE(Invalid(ReadTarball(Tgz(entries), kDefaults),
                      "tarball contains \"package/package.json\" more than once"));
}

TEST(ReadTarball, RefusesNamesThatCollideOnCaseInsensitiveDisks) {
  for (std::string other :
       {"package/PACKAGE.JSON", "package/package.json.", "package/Package.json "}) {
    SCOPED_TRACE(other);
    EXPECT_TRUE(Invalid(ReadTarball(Tgz(With(Package(), File(other, "{}"))), kDefaults),
                        "tarball contains both \"package/package.json\" and \"" + other +
                            "\", which npm could unpack as one file"));
  }
  EXPECT_TRUE(Invalid(ReadTarball(Tgz(With(Package(), Dir("package/index.js"))), kDefaults),
                      "more than once"));
  // A folder listed twice is fine.
  EXPECT_TRUE(
      ReadTarball(Tgz({Dir("package/"), File("package/package.json", kManifest), Dir("package/")}),
                  kDefaults)
          .ok());
}

// ---------------------------------------------------------------------------------------------
// Limits.

TEST(ReadTarball, RefusesTooManyEntries) {
  TarballLimits limits;
  limits.max_entries = 3;
  std::vector<Entry> entries = Package();
  for (int i = 0; i < 3; ++i) entries.push_back(File("package/f" + std::to_string(i), "x"));
  EXPECT_TRUE(
      Exhausted(ReadTarball(Tgz(entries), limits), "tarball exceeds the limit of 3 entries"));
}

TEST(ReadTarball, RefusesFilesPastTheFileLimit) {
  TarballLimits limits;
  limits.max_file_bytes = 100;
  EXPECT_TRUE(Exhausted(
      ReadTarball(Tgz(With(Package(), File("package/big.bin", std::string(101, 'b')))), limits),
      "tarball entry \"package/big.bin\" exceeds the per-file size limit of "
      "100 bytes"));
  EXPECT_TRUE(
      ReadTarball(Tgz(With(Package(), File("package/big.bin", std::string(100, 'b')))), limits)
          .ok());
}

TEST(ReadTarball, RefusesPastTheUnpackedLimit) {
  TarballLimits limits;
  limits.max_unpacked_bytes = 300;
  std::vector<Entry> entries = Package();  // 53 bytes.
  entries.push_back(File("package/a", std::string(200, 'a')));
  EXPECT_TRUE(ReadTarball(Tgz(entries), limits).ok());
  entries.push_back(File("package/b", std::string(48, 'b')));
  EXPECT_TRUE(Exhausted(ReadTarball(Tgz(entries), limits),
                        "tarball exceeds the unpacked size limit of 300 bytes"));
}

TEST(ReadTarball, RefusesAnOversizedPackageJson) {
  TarballLimits limits;
  limits.max_package_json_bytes = 16;
  EXPECT_TRUE(Exhausted(ReadTarball(Tgz(Package()), limits),
                        "package.json exceeds the size limit of 16 bytes"));
}

// Decompressing `tgz` must fail fast with `message`, without holding the unpacked bytes.
void ExpectBombStops(const std::string& tgz, std::string_view message) {
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<TarballContents> c = ReadTarball(tgz, kDefaults);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  getrusage(RUSAGE_SELF, &after);
  EXPECT_TRUE(Exhausted(c, message));
  // At most ~340 MB is inflated (the limit plus tar overhead); 10 GiB would take minutes.
  EXPECT_LT(seconds, 20.0);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 << 10) << "KiB of peak RSS grew";
}

TEST(ReadTarball, StopsAGzipBombOfZerosAfterTheArchive) {
  // A valid package, then 10 GiB of zeros: libarchive stops at the first zero block, but every
  // byte still has to be inflated and checked, within the budget.
  std::string tgz = GzipWriter().Append(Tar(Package())).AppendZeros(10ull << 30).Finish();
  ASSERT_LT(tgz.size(), 32u << 20);
  ExpectBombStops(tgz, "tarball exceeds the unpacked size limit of 268435456 bytes");
}

TEST(ReadTarball, StopsAGzipBombInsideAnEntry) {
  // The header says 10 GiB (pax size, past what octal can hold), the data is zeros.
  std::string tgz = GzipWriter()
                        .Append(RawPackage() + Pax(Record("size", "10737418240")) +
                                Header({.name = "package/zeros.bin"}))
                        .AppendZeros(10ull << 30)
                        .Finish();
  ExpectBombStops(tgz,
                  "tarball entry \"package/zeros.bin\" exceeds the per-file size limit of "
                  "67108864 bytes");
}

TEST(ReadTarball, StopsManyEntriesOfZeros) {
  // Each entry is under the file limit; together they are past the unpacked limit.
  GzipWriter w;
  w.Append(RawPackage());
  for (int i = 0; i < 6; ++i) {
    w.Append(Header({.name = "package/z" + std::to_string(i), .size = 60 << 20}));
    w.AppendZeros(60 << 20);
  }
  ExpectBombStops(w.Append(EndOfArchive()).Finish(),
                  "tarball exceeds the unpacked size limit of 268435456 bytes");
}

// ---------------------------------------------------------------------------------------------
// Archives that libarchive and npm's node-tar would read differently.

TEST(ReadTarball, RefusesEntriesAfterASingleZeroBlock) {
  // libarchive ends at the zero block; node-tar reads on and would install evil.js.
  std::string tar =
      RawPackage() + std::string(512, '\0') + RawFile("package/evil.js", "x") + EndOfArchive();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                      "tarball has data after the tar end-of-archive marker"));
}

TEST(ReadTarball, RefusesUnsupportedEntryTypes) {
  // libarchive skips a 'V' header without its body; unknown types it reads as files, node-tar
  // skips them.
  for (char type : {'V', 'Z', 'S', 'M', 'D', 'A'}) {
    std::string tar = RawPackage() + Header({.name = "package/v", .size = 1, .type = type}) +
                      Padded("x") + EndOfArchive();
    EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                        "tarball uses an unsupported tar entry type \"" + std::string(1, type)));
  }
}

TEST(ReadTarball, RefusesAFileThatNodeTarTakesForAFolder) {
  // A '0' entry named "dir/" with a body: node-tar makes it a folder and reads the body as the
  // next header (here a second package.json); libarchive reads the body as data.
  std::string hidden = RawFile("package/package.json", R"({"name":"evil"})");
  std::string tar = RawPackage() + Header({.name = "package/dir/", .size = hidden.size()}) +
                    hidden + EndOfArchive();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults), "tarball is ambiguous"));
}

TEST(ReadTarball, RefusesAFileWithALinkTarget) {
  // node-tar skips such a header without its body and reads the body as headers.
  std::string tar = RawPackage() + Header({.name = "package/f.js", .size = 1, .link = "x"}) +
                    Padded("x") + EndOfArchive();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                      "tarball entry \"package/f.js\" has a link target but is not a link"));
}

TEST(ReadTarball, RefusesSignedChecksums) {
  std::string tar = RawPackage() +
                    Header({.name = "package/\xc3\xa9.js", .size = 1, .signed_checksum = true}) +
                    Padded("x") + EndOfArchive();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                      "tarball is not a valid tar archive: bad header checksum at offset 2048"));
}

TEST(ReadTarball, RefusesMalformedSizeFields) {
  std::string tar =
      RawPackage() +
      Header({.name = "package/a", .size_field = std::string("0x10\0\0\0\0\0\0\0\0", 12)}) +
      EndOfArchive();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                      "tarball is not a valid tar archive: malformed size field"));
}

TEST(ReadTarball, RefusesNameFieldsWithDataAfterTheirEnd) {
  // node-tar cuts a field at the NUL only up to a line break: it reads "package/a.js\nb.js".
  // Byte 475 set after an empty prefix: node-tar reads the name as "/package/a.js".
  for (const auto& raw :
       std::vector<std::pair<size_t, std::string>>{{0, std::string("package/a.js\0\nb.js", 18)},
                                                   {157, std::string("\0\nx", 3)},
                                                   {475, "x"}}) {
    std::string tar = RawPackage() + Header({.name = "package/a.js", .size = 1, .raw = {raw}}) +
                      Padded("x") + EndOfArchive();
    EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                        "tarball is not a valid tar archive: a name field has data after its end "
                        "at offset 2048"));
  }
  std::string tar = RawPackage() + Header({.name = "././@LongLink", .size = 18, .type = 'L'}) +
                    Padded(std::string("package/a.js\0\nb.js", 18)) +
                    RawFile("package/short", "x") + EndOfArchive();
  EXPECT_TRUE(
      Invalid(ReadTarball(Gzip(tar), kDefaults),
              "tarball is not a valid tar archive: a GNU long name has data after its end"));
}

TEST(ReadTarball, RefusesNumbersNodeTarCannotRead) {
  // Base-256 numbers: node-tar throws on anything but a safe integer after 0x80 and skips the
  // header (then reads its body as headers); libarchive reads them all.
  for (const std::string& uid : {std::string("\x80"
                                             "000000\0",
                                             8),
                                 std::string("\xff\xff", 2), std::string("\x81", 1)}) {
    std::string tar = RawPackage() +
                      Header({.name = "package/a.js", .size = 1, .raw = {{108, uid}}}) +
                      Padded("x") + EndOfArchive();
    EXPECT_TRUE(
        Invalid(ReadTarball(Gzip(tar), kDefaults),
                "tarball is not a valid tar archive: malformed numeric field at offset 2048"));
  }
  // A small base-256 uid (GNU tar writes them past 2097151) is fine.
  std::string big_uid("\x80\0\0\0\0\x40\0\0", 8);
  std::string tar = RawPackage() +
                    Header({.name = "package/a.js", .size = 1, .raw = {{108, big_uid}}}) +
                    Padded("x") + EndOfArchive();
  EXPECT_TRUE(ReadTarball(Gzip(tar), kDefaults).ok());
}

TEST(ReadTarball, RefusesPaxFieldsTheReadersTreatDifferently) {
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"mode", "4755"},
                                                        {"type", "2"},
                                                        {"hdrcharset", "BINARY"},
                                                        {"GNU.sparse.major", "1"},
                                                        {"SCHILY.realsize", "10"}}) {
    std::string tar =
        RawPackage() + Pax(Record(key, value)) + RawFile("package/a", "x") + EndOfArchive();
    EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                        "tarball uses an unsupported pax header field \"" + key + "\""));
  }
  // A global header may not change sizes or paths: node-tar applies it, libarchive does not.
  std::string tar = Pax(Record("size", "0"), 'g') + RawPackage() + EndOfArchive();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                      "tarball uses an unsupported pax header field \"size\""));
}

TEST(ReadTarball, AcceptsOldNpmVendorPaxFields) {
  // fstream-npm's global header, as in tarballs published by npm 1.x-2.x.
  std::string tar = Pax(Record("NODETAR.depth", "1") + Record("NODETAR.package.name", "pkg") +
                            Record("comment", "x"),
                        'g') +
                    RawPackage() + Pax(Record("NODETAR.type", "File")) +
                    RawFile("package/a", "x") + EndOfArchive();
  auto read = ReadTarball(Gzip(tar), kDefaults);
  ASSERT_TRUE(read.ok()) << read.status();
}

TEST(ReadTarball, RefusesMalformedPaxRecords) {
  for (std::string records : {std::string("12 path=ab\n"),    // Length off by one.
                              std::string("012 path=ab\n"),   // Leading zero.
                              std::string("12 path=a\nb\n"),  // Newline inside.
                              std::string("7 =abc\n")}) {     // No key.
    std::string tar = RawPackage() + Pax(records) + RawFile("package/a", "x") + EndOfArchive();
    EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                        "tarball is not a valid tar archive: malformed pax header"));
  }
}

TEST(ReadTarball, RefusesMixedExtendedHeaders) {
  // A pax path and a GNU long name for one entry: which wins differs between the readers.
  std::string long_name = "package/" + std::string(120, 'l');
  std::string tar = RawPackage() + Pax(Record("path", "package/pax.js")) +
                    Header({.name = "././@LongLink", .size = long_name.size() + 1, .type = 'L'}) +
                    Padded(long_name + '\0') + RawFile("package/short.js", "x") + EndOfArchive();
  EXPECT_TRUE(
      Invalid(ReadTarball(Gzip(tar), kDefaults), "tarball has conflicting extended headers"));
}

TEST(ReadTarball, RefusesAPrefixThatEndsInASlash) {
  // node-tar joins "package/" + "/" + "a.js"; libarchive "package/a.js".
  std::string tar = RawPackage() + Header({.name = "a.js", .size = 1, .prefix = "package/"}) +
                    Padded("x") + EndOfArchive();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                      "tarball entry path has an empty or \".\" component"));
}

TEST(ReadTarball, RefusesAPaxPathWhoseFallbackIsAnotherEntry) {
  // node-tar decodes pax records chunk by chunk: if a chunk boundary splits the "é", it drops
  // the path record and unpacks this entry as its ustar name, a second package.json.
  std::string tar = RawPackage() + Pax(Record("path", "package/\xc3\xa9.js")) +
                    RawFile("package/package.json", R"({"name":"evil"})") + EndOfArchive();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                      "tarball contains both \"package/package.json\" and \"package/\xc3\xa9.js\", "
                      "which npm could unpack as one file"));
}

TEST(ReadTarball, RefusesAPrefixOnlyLibarchiveReads) {
  // Magic "ustar" with version "  ": libarchive joins the prefix, node-tar does not.
  std::string tar =
      RawPackage() +
      Header(
          {.name = "a.js", .size = 1, .prefix = "package", .magic = std::string("ustar\0  ", 8)}) +
      Padded("x") + EndOfArchive();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                      "tarball is ambiguous (npm's tar reader would see it differently): entry "
                      "\"a.js\" is named \"package/a.js\" by libarchive"));
}

TEST(ReadTarball, RefusesEntriesWithoutAName) {
  std::string tar = RawPackage() + Header({.name = "", .size = 1}) + Padded("x") + EndOfArchive();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults), "tarball has an entry with no name"));
}

TEST(ReadTarball, RefusesGnuSparseHeaders) {
  std::string tar =
      RawPackage() +
      Header({.name = "package/s", .size = 1, .gnu_magic = true, .gnu_sparse_map = Octal(1, 11)}) +
      Padded("x") + EndOfArchive();
  EXPECT_TRUE(Invalid(ReadTarball(Gzip(tar), kDefaults),
                      "tarball uses GNU sparse files, which npm cannot unpack"));
}

}  // namespace
}  // namespace bulwark
