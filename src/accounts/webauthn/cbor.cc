#include "accounts/webauthn/cbor.h"

#include "base/strings.h"

namespace bulwark::webauthn {
namespace {

absl::Status Bad(std::string_view why) {
  return absl::InvalidArgumentError(StrCat("malformed CBOR: ", why));
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i - 1 < n) return false;  // Fewer than n continuation bytes left.
    for (size_t k = 1; k <= n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

class Decoder {
 public:
  explicit Decoder(std::string_view data) : data_(data) {}

  absl::StatusOr<Cbor> Item(int depth) {
    if (depth > kMaxCborDepth) return Bad("nested too deeply");
    if (++items_ > kMaxCborItems) return Bad("too many items");
    if (pos_ >= data_.size()) return Bad("truncated");
    const uint8_t initial = static_cast<uint8_t>(data_[pos_++]);
    const int major = initial >> 5;
    const int info = initial & 0x1F;
    if (major == 7) {
      Cbor v;
      switch (info) {
        case 20: v.type = Cbor::Type::kBool; v.boolean = false; return v;
        case 21: v.type = Cbor::Type::kBool; v.boolean = true; return v;
        case 22: v.type = Cbor::Type::kNull; return v;
        default: return Bad("floats, undefined and other simple values are not accepted");
      }
    }
    if (major == 6) return Bad("tags are not accepted");
    BULWARK_ASSIGN_OR_RETURN(uint64_t arg, Argument(info));
    Cbor v;
    switch (major) {
      case 0:
      case 1:
        if (arg > static_cast<uint64_t>(INT64_MAX)) return Bad("integer out of range");
        v.type = Cbor::Type::kInt;
        v.integer = major == 0 ? static_cast<int64_t>(arg) : -1 - static_cast<int64_t>(arg);
        return v;
      case 2:
      case 3: {
        // The length is checked against what is left before anything is allocated.
        if (arg > data_.size() - pos_) return Bad("truncated string");
        v.type = major == 2 ? Cbor::Type::kBytes : Cbor::Type::kText;
        v.bytes.assign(data_.substr(pos_, arg));
        pos_ += arg;
        if (major == 3 && !ValidUtf8(v.bytes)) return Bad("text string is not UTF-8");
        return v;
      }
      case 4: {
        // Every item takes at least one byte: a longer count than bytes left is a lie.
        if (arg > data_.size() - pos_) return Bad("truncated array");
        v.type = Cbor::Type::kArray;
        for (uint64_t i = 0; i < arg; ++i) {
          BULWARK_ASSIGN_OR_RETURN(Cbor item, Item(depth + 1));
          v.items.push_back(std::move(item));
        }
        return v;
      }
      case 5: {
        if (arg > (data_.size() - pos_) / 2) return Bad("truncated map");
        v.type = Cbor::Type::kMap;
        for (uint64_t i = 0; i < arg; ++i) {
          BULWARK_ASSIGN_OR_RETURN(Cbor key, Item(depth + 1));
          if (key.type != Cbor::Type::kInt && key.type != Cbor::Type::kText) {
            return Bad("map keys must be integers or text");
          }
          for (const auto& [k, _] : v.map) {
            if (k.type == key.type && k.integer == key.integer && k.bytes == key.bytes) {
              return Bad("duplicate map key");
            }
          }
          BULWARK_ASSIGN_OR_RETURN(Cbor value, Item(depth + 1));
          v.map.push_back(CborEntry{std::move(key), std::move(value)});
        }
        return v;
      }
    }
    return Bad("unknown major type");
  }

  size_t pos() const { return pos_; }

 private:
  absl::StatusOr<uint64_t> Argument(int info) {
    if (info < 24) return static_cast<uint64_t>(info);
    if (info == 31) return Bad("indefinite lengths are not accepted");
    if (info > 27) return Bad("reserved additional information");
    const size_t n = size_t{1} << (info - 24);  // 1, 2, 4 or 8 bytes.
    if (n > data_.size() - pos_) return Bad("truncated");
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += n;
    return v;
  }

  std::string_view data_;
  size_t pos_ = 0;
  size_t items_ = 0;
};

}  // namespace

const Cbor* Cbor::Find(int64_t key) const {
  if (type != Type::kMap) return nullptr;
  for (const auto& [k, v] : map) {
    if (k.type == Type::kInt && k.integer == key) return &v;
  }
  return nullptr;
}

const Cbor* Cbor::Find(std::string_view key) const {
  if (type != Type::kMap) return nullptr;
  for (const auto& [k, v] : map) {
    if (k.type == Type::kText && k.bytes == key) return &v;
  }
  return nullptr;
}

absl::StatusOr<Cbor> DecodeCbor(std::string_view data, size_t* consumed) {
  Decoder d(data);
  BULWARK_ASSIGN_OR_RETURN(Cbor v, d.Item(0));
  if (consumed) {
    *consumed = d.pos();
  } else if (d.pos() != data.size()) {
    return Bad("trailing bytes after the data item");
  }
  return v;
}

}  // namespace bulwark::webauthn
