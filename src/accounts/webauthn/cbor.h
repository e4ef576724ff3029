#pragma once
// A strict, bounded CBOR (RFC 8949) decoder for what WebAuthn sends: attestation objects,
// authenticator data's public keys and extensions (WebAuthn §6.5, COSE keys RFC 9052 §7).
//
// Accepted: unsigned and negative integers that fit in int64_t, byte and text strings, arrays,
// maps, false, true, null; definite lengths only. Refused with InvalidArgument (never a crash,
// never an allocation larger than the input): indefinite lengths, tags, floats and other simple
// values, reserved additional-information values, text that is not UTF-8, duplicate map keys,
// nesting deeper than kMaxCborDepth, more than kMaxCborItems items, truncated input.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/base/status.h"

namespace bulwark::webauthn {

// A COSE key nests two levels, an attestation object three (x5c); 16 leaves ample room.
inline constexpr int kMaxCborDepth = 16;
// Items in one decoded value: bounds the work a hostile input can cause.
inline constexpr size_t kMaxCborItems = 4096;

struct CborEntry;

struct Cbor {
  enum class Type { kInt, kBytes, kText, kArray, kMap, kBool, kNull };
  Type type = Type::kNull;
  int64_t integer = 0;    // kInt (major types 0 and 1).
  bool boolean = false;   // kBool.
  std::string bytes;      // kBytes and kText.
  std::vector<Cbor> items;                  // kArray.
  std::vector<CborEntry> map;  // kMap, in input order.

  bool is_int() const { return type == Type::kInt; }
  bool is_bytes() const { return type == Type::kBytes; }
  bool is_text() const { return type == Type::kText; }
  bool is_map() const { return type == Type::kMap; }
  bool is_array() const { return type == Type::kArray; }
  // Map lookups by integer or text key; nullptr when absent or this is not a map.
  const Cbor* Find(int64_t key) const;
  const Cbor* Find(std::string_view key) const;
};

// One map entry (a struct, not std::pair: pair needs Cbor complete where vector does not).
struct CborEntry {
  Cbor key;
  Cbor value;
};

// Decodes one data item from the start of `data`; `*consumed` (optional) receives its length.
// With `consumed` null, bytes after the item are an error.
absl::StatusOr<Cbor> DecodeCbor(std::string_view data, size_t* consumed = nullptr);

}  // namespace bulwark::webauthn
