#include "base/json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace bulwark {

absl::StatusOr<json::value> ParseJson(std::string_view text, size_t max_depth) {
  json::parse_options opts;
  opts.max_depth = max_depth;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, opts);
  if (ec) return absl::InvalidArgumentError("invalid JSON: " + ec.message());
  return v;
}

std::string ToJson(const json::value& v) { return json::serialize(v); }

std::optional<std::string_view> GetString(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  const json::string& s = it->value().get_string();
  return std::string_view(s.data(), s.size());
}

const json::object* GetObject(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_object()) return nullptr;
  return &it->value().get_object();
}

const json::array* GetArray(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_array()) return nullptr;
  return &it->value().get_array();
}

std::optional<bool> GetBool(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_bool()) return std::nullopt;
  return it->value().get_bool();
}

std::optional<int64_t> GetInt(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64() && it->value().get_uint64() <= INT64_MAX) {
    return static_cast<int64_t>(it->value().get_uint64());
  }
  return std::nullopt;
}

}  // namespace bulwark
