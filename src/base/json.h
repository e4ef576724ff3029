#pragma once
// JSON helpers over Boost.JSON. Parsing outside input always goes through ParseJson, which
// bounds nesting depth and turns Boost's exceptions/error codes into a Status.

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "bulwark/base/status.h"

namespace bulwark {

namespace json = boost::json;

// Deep nesting is refused before it can exhaust the stack (a 1 MB body of '[' is 1M levels).
inline constexpr size_t kMaxJsonDepth = 64;

// InvalidArgument with the parser's message when `text` is not one JSON value.
absl::StatusOr<json::value> ParseJson(std::string_view text, size_t max_depth = kMaxJsonDepth);
std::string ToJson(const json::value& v);

// Typed field access that never throws: nullopt/nullptr when absent or of another type.
std::optional<std::string_view> GetString(const json::object& o, std::string_view key);
const json::object* GetObject(const json::object& o, std::string_view key);
const json::array* GetArray(const json::object& o, std::string_view key);
std::optional<bool> GetBool(const json::object& o, std::string_view key);
std::optional<int64_t> GetInt(const json::object& o, std::string_view key);

}  // namespace bulwark
