#include "security/scan/js_analysis.h"

#include <tree_sitter/api.h>

#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "base/strings.h"

extern "C" const TSLanguage* tree_sitter_javascript(void);

namespace bulwark::scan {
namespace {

constexpr int kMaxDepth = 24;                   // folding / qualification recursion
constexpr std::size_t kMaxFolded = 256 << 10;   // one folded string
constexpr std::size_t kMaxStrings = 4096;       // strings handed to the pattern pass
constexpr std::size_t kMaxTotalStrings = 4 << 20;
constexpr std::uint64_t kParseTimeoutMicros = 2'000'000;
constexpr std::size_t kMaxOpeners = 40'000;

using Kind = JsEvent::Kind;

int B64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x110000) {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// One JavaScript escape sequence starting at s[0] == '\\'; appends its value, returns the
// number of bytes consumed.
std::size_t DecodeEscape(std::string_view s, std::string& out) {
  if (s.size() < 2) return s.size();
  char c = s[1];
  auto hex_run = [&](std::size_t from, std::size_t n) -> std::optional<std::uint32_t> {
    if (s.size() < from + n) return std::nullopt;
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      int h = HexValue(static_cast<unsigned char>(s[from + i]));
      if (h < 0) return std::nullopt;
      v = v * 16 + static_cast<std::uint32_t>(h);
    }
    return v;
  };
  switch (c) {
    case 'n': out.push_back('\n'); return 2;
    case 't': out.push_back('\t'); return 2;
    case 'r': out.push_back('\r'); return 2;
    case 'b': out.push_back('\b'); return 2;
    case 'f': out.push_back('\f'); return 2;
    case 'v': out.push_back('\v'); return 2;
    case '0': out.push_back('\0'); return 2;
    case '\n': return 2;
    case 'x':
      if (auto v = hex_run(2, 2)) { AppendUtf8(out, *v); return 4; }
      break;
    case 'u':
      if (s.size() > 2 && s[2] == '{') {
        std::size_t close = s.find('}', 3);
        if (close != std::string_view::npos && close - 3 <= 6 && close > 3) {
          if (auto v = hex_run(3, close - 3)) { AppendUtf8(out, *v); return close + 1; }
        }
      } else if (auto v = hex_run(2, 4)) {
        AppendUtf8(out, *v);
        return 6;
      }
      break;
    default:
      break;
  }
  out.push_back(c);
  return 2;
}

std::string_view StripModule(std::string_view m) {
  ConsumePrefix(&m, "node:");
  return m;
}

struct Folded {
  std::string value;
  bool decoded = false;   // a decoding step (base64, hex, char codes, reversal) happened
  bool composed = false;  // more than one literal or a name was involved
};

class Analyzer {
 public:
  explicit Analyzer(std::string_view src) : src_(src) {}

  JsFacts Run() {
    std::unique_ptr<TSParser, void (*)(TSParser*)> parser(ts_parser_new(), ts_parser_delete);
    ts_parser_set_language(parser.get(), tree_sitter_javascript());
    ts_parser_set_timeout_micros(parser.get(), kParseTimeoutMicros);
    TSTree* raw = ts_parser_parse_string(parser.get(), nullptr, src_.data(),
                                         static_cast<std::uint32_t>(src_.size()));
    if (raw == nullptr) return std::move(facts_);
    std::unique_ptr<TSTree, void (*)(TSTree*)> tree(raw, ts_tree_delete);
    facts_.parsed = true;
    Walk(ts_tree_root_node(tree.get()));
    return std::move(facts_);
  }

 private:
  std::string_view Text(TSNode n) const {
    std::uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (a > src_.size() || b > src_.size() || b < a) return {};
    return src_.substr(a, b - a);
  }
  static bool Is(TSNode n, const char* type) {
    return !ts_node_is_null(n) && std::strcmp(ts_node_type(n), type) == 0;
  }
  static TSNode Field(TSNode n, const char* name) {
    return ts_node_child_by_field_name(n, name, static_cast<std::uint32_t>(std::strlen(name)));
  }
  static std::uint32_t Line(TSNode n) { return ts_node_start_point(n).row + 1; }

  void Walk(TSNode root) {
    TSTreeCursor cursor = ts_tree_cursor_new(root);
    bool descend = true;
    for (;;) {
      if (descend) Visit(ts_tree_cursor_current_node(&cursor));
      if (descend && ts_tree_cursor_goto_first_child(&cursor)) continue;
      if (ts_tree_cursor_goto_next_sibling(&cursor)) { descend = true; continue; }
      if (!ts_tree_cursor_goto_parent(&cursor)) break;
      descend = false;
    }
    ts_tree_cursor_delete(&cursor);
  }

  void Visit(TSNode n) {
    const char* type = ts_node_type(n);
    if (std::strcmp(type, "call_expression") == 0) {
      OnCall(n, Field(n, "function"), Field(n, "arguments"), false);
    } else if (std::strcmp(type, "new_expression") == 0) {
      OnCall(n, Field(n, "constructor"), Field(n, "arguments"), true);
    } else if (std::strcmp(type, "variable_declarator") == 0) {
      Bind(Field(n, "name"), Field(n, "value"));
    } else if (std::strcmp(type, "assignment_expression") == 0) {
      Bind(Field(n, "left"), Field(n, "right"));
    } else if (std::strcmp(type, "import_statement") == 0) {
      OnImport(n);
    } else if (std::strcmp(type, "string") == 0) {
      OnLiteral(n);
    } else if (std::strcmp(type, "function_declaration") == 0) {
      OnFunction(Field(n, "name"), n);
    }
  }

  // ---- bindings ----

  // `function e(r) { return Buffer.from(r, "hex").toString() }`: calls of e fold like the
  // decoder they wrap (flatmap-stream hid its strings so).
  void OnFunction(TSNode name, TSNode fn) {
    if (!Is(name, "identifier")) return;
    TSNode body = Field(fn, "body");
    if (ts_node_is_null(body) || ts_node_named_child_count(body) != 1) return;
    TSNode ret = ts_node_named_child(body, 0);
    if (!Is(ret, "return_statement") || ts_node_named_child_count(ret) != 1) return;
    TSNode e = ts_node_named_child(ret, 0);
    if (Is(e, "call_expression")) {
      TSNode f = Field(e, "function");
      if (Is(f, "member_expression") && Text(Field(f, "property")) == "toString") {
        TSNode inner = Field(f, "object");
        if (Is(inner, "call_expression") &&
            Qualify(Field(inner, "function"), 0) == "Buffer.from") {
          TSNode args = Field(inner, "arguments");
          if (ts_node_named_child_count(args) > 1) {
            std::string enc = FoldOr(ts_node_named_child(args, 1), "");
            if (enc == "hex" || enc == "base64") decoders_[std::string(Text(name))] = enc;
          }
        }
      } else if (Qualify(f, 0) == "atob") {
        decoders_[std::string(Text(name))] = "base64";
      }
    }
  }

  void Bind(TSNode name, TSNode value) {
    if (ts_node_is_null(name) || ts_node_is_null(value)) return;
    if (Is(name, "identifier")) {
      std::string key(Text(name));
      std::string q = Qualify(value, 0);
      if (!q.empty() && IsModulePath(q)) aliases_[key] = q;
      if (auto f = Fold(value, 0)) {
        if (f->value.size() <= kMaxFolded) consts_[key] = f->value;
        if (f->decoded || f->composed) AddString(f->value, Line(value));
        if (f->decoded) {
          tainted_.insert(key);
          ++facts_.decoded;
        }
      } else if (IsDecodedExpr(value, 0)) {
        tainted_.insert(key);
      }
      return;
    }
    if (Is(name, "object_pattern")) {
      std::string base = Qualify(value, 0);
      if (base.empty() || !IsModulePath(base)) return;
      std::uint32_t count = ts_node_named_child_count(name);
      for (std::uint32_t i = 0; i < count; ++i) {
        TSNode c = ts_node_named_child(name, i);
        if (Is(c, "shorthand_property_identifier_pattern")) {
          aliases_[std::string(Text(c))] = StrCat(base, ".", Text(c));
        } else if (Is(c, "pair_pattern")) {
          TSNode k = Field(c, "key"), v = Field(c, "value");
          if (Is(v, "identifier")) {
            std::string prop = Is(k, "property_identifier") ? std::string(Text(k))
                                                             : FoldOr(k, "");
            if (!prop.empty()) aliases_[std::string(Text(v))] = StrCat(base, ".", prop);
          }
        }
      }
    }
  }

  void OnImport(TSNode n) {
    TSNode source = Field(n, "source");
    auto mod = Fold(source, 0);
    if (!mod) return;
    std::string m(StripModule(mod->value));
    std::uint32_t count = ts_node_named_child_count(n);
    for (std::uint32_t i = 0; i < count; ++i) {
      TSNode clause = ts_node_named_child(n, i);
      if (!Is(clause, "import_clause")) continue;
      std::uint32_t cc = ts_node_named_child_count(clause);
      for (std::uint32_t j = 0; j < cc; ++j) {
        TSNode c = ts_node_named_child(clause, j);
        if (Is(c, "identifier")) {
          aliases_[std::string(Text(c))] = m;
        } else if (Is(c, "namespace_import")) {
          for (std::uint32_t k = 0; k < ts_node_named_child_count(c); ++k) {
            TSNode id = ts_node_named_child(c, k);
            if (Is(id, "identifier")) aliases_[std::string(Text(id))] = m;
          }
        } else if (Is(c, "named_imports")) {
          for (std::uint32_t k = 0; k < ts_node_named_child_count(c); ++k) {
            TSNode spec = ts_node_named_child(c, k);
            if (!Is(spec, "import_specifier")) continue;
            TSNode nm = Field(spec, "name"), alias = Field(spec, "alias");
            std::string imported(Text(nm));
            std::string local = ts_node_is_null(alias) ? imported : std::string(Text(alias));
            aliases_[local] = StrCat(m, ".", imported);
          }
        }
      }
    }
  }

  static bool IsModulePath(std::string_view q) {
    for (std::string_view m : {"child_process", "fs", "http", "https", "http2", "net", "tls",
                               "dns", "dgram", "vm", "os", "path", "crypto", "process",
                               "require", "eval", "Function", "Buffer", "fetch", "axios",
                               "node-fetch", "got", "request", "execa", "shelljs",
                               "cross-spawn", "fs-extra", "graceful-fs"}) {
      if (q == m || (StartsWith(q, m) && q.size() > m.size() && (q[m.size()] == '.' ||
                                                                  q[m.size()] == '/'))) {
        return true;
      }
    }
    return false;
  }

  // ---- qualified names: what a callee or object refers to ----

  std::string Qualify(TSNode n, int depth) {
    if (ts_node_is_null(n) || depth > kMaxDepth) return {};
    const char* t = ts_node_type(n);
    if (std::strcmp(t, "identifier") == 0) {
      std::string id(Text(n));
      auto it = aliases_.find(id);
      return it != aliases_.end() ? it->second : id;
    }
    if (std::strcmp(t, "parenthesized_expression") == 0 || std::strcmp(t, "await_expression") == 0) {
      TSNode last = ts_node_named_child(n, ts_node_named_child_count(n) - 1);
      return Qualify(last, depth + 1);
    }
    if (std::strcmp(t, "sequence_expression") == 0) {  // (0, eval)(x)
      TSNode last = ts_node_named_child(n, ts_node_named_child_count(n) - 1);
      return Qualify(last, depth + 1);
    }
    if (std::strcmp(t, "member_expression") == 0 || std::strcmp(t, "subscript_expression") == 0) {
      std::string obj = Qualify(Field(n, "object"), depth + 1);
      std::string prop;
      if (std::strcmp(t, "member_expression") == 0) {
        prop = std::string(Text(Field(n, "property")));
      } else {
        auto f = Fold(Field(n, "index"), depth + 1);
        if (!f) return {};
        prop = f->value;
        if (f->decoded || f->composed) AddString(prop, Line(n));
      }
      for (std::string_view g : {"global", "globalThis", "window", "self"}) {
        if (obj == g) return Normalize(prop);
      }
      if (obj == "module" && prop == "require") return "require";
      if (obj == "process.mainModule" && prop == "require") return "require";
      if (obj.empty()) return {};
      return Normalize(StrCat(obj, ".", prop));
    }
    if (std::strcmp(t, "call_expression") == 0) {
      TSNode fn = Field(n, "function");
      TSNode args = Field(n, "arguments");
      bool is_import = Is(fn, "import");
      if (is_import || Qualify(fn, depth + 1) == "require") {
        if (ts_node_named_child_count(args) == 0) return {};
        auto f = Fold(ts_node_named_child(args, 0), depth + 1);
        if (!f) return {};
        return Normalize(std::string(StripModule(f->value)));
      }
      return {};
    }
    return {};
  }

  static std::string Normalize(std::string q) {
    if (StartsWith(q, "fs/promises")) q = "fs.promises" + q.substr(11);
    if (StartsWith(q, "fs-extra") || StartsWith(q, "graceful-fs")) {
      q = "fs" + q.substr(q.find_first_of(".") == std::string::npos ? q.size()
                                                                    : q.find_first_of("."));
    }
    if (StartsWith(q, "dns/promises")) q = "dns.promises" + q.substr(12);
    return q;
  }

  // ---- constant folding ----

  std::optional<Folded> Fold(TSNode n, int depth) {
    if (ts_node_is_null(n) || depth > kMaxDepth) return std::nullopt;
    const char* t = ts_node_type(n);
    if (std::strcmp(t, "string") == 0 || std::strcmp(t, "template_string") == 0) {
      Folded out;
      std::uint32_t count = ts_node_named_child_count(n);
      for (std::uint32_t i = 0; i < count; ++i) {
        TSNode c = ts_node_named_child(n, i);
        const char* ct = ts_node_type(c);
        if (std::strcmp(ct, "string_fragment") == 0) {
          out.value.append(Text(c));
        } else if (std::strcmp(ct, "escape_sequence") == 0) {
          std::string_view e = Text(c);
          for (std::size_t k = 0; k < e.size();) {
            if (e[k] == '\\') k += DecodeEscape(e.substr(k), out.value);
            else out.value.push_back(e[k++]);
          }
        } else if (std::strcmp(ct, "template_substitution") == 0) {
          return std::nullopt;
        }
      }
      return out;
    }
    if (std::strcmp(t, "number") == 0) return Folded{std::string(Text(n)), false, false};
    if (std::strcmp(t, "parenthesized_expression") == 0) {
      return Fold(ts_node_named_child(n, ts_node_named_child_count(n) - 1), depth + 1);
    }
    if (std::strcmp(t, "binary_expression") == 0) {
      TSNode op = Field(n, "operator");
      if (Text(op) != "+") return std::nullopt;
      auto a = Fold(Field(n, "left"), depth + 1);
      if (!a) return std::nullopt;
      auto b = Fold(Field(n, "right"), depth + 1);
      if (!b || a->value.size() + b->value.size() > kMaxFolded) return std::nullopt;
      a->value += b->value;
      a->decoded |= b->decoded;
      a->composed = true;
      return a;
    }
    if (std::strcmp(t, "identifier") == 0) {
      auto it = consts_.find(std::string(Text(n)));
      if (it == consts_.end()) return std::nullopt;
      return Folded{it->second, tainted_.count(it->first) > 0, true};
    }
    if (std::strcmp(t, "member_expression") == 0) {
      std::string q = Qualify(n, depth + 1);
      if (q == "process.env.HOME" || q == "process.env.USERPROFILE") return Folded{"~", false, true};
      return std::nullopt;
    }
    if (std::strcmp(t, "array") == 0) return std::nullopt;  // only via .join below
    if (std::strcmp(t, "call_expression") == 0) return FoldCall(n, depth);
    return std::nullopt;
  }

  std::string FoldOr(TSNode n, std::string fallback) {
    auto f = Fold(n, 0);
    return f ? f->value : fallback;
  }

  std::optional<Folded> FoldCall(TSNode n, int depth) {
    TSNode fn = Field(n, "function");
    TSNode args = Field(n, "arguments");
    std::uint32_t argc = ts_node_is_null(args) ? 0 : ts_node_named_child_count(args);
    auto arg = [&](std::uint32_t i) { return ts_node_named_child(args, i); };
    if (Is(fn, "member_expression")) {
      TSNode obj = Field(fn, "object");
      std::string_view prop = Text(Field(fn, "property"));
      // Buffer.from(x, 'base64').toString(...)
      if (prop == "toString") {
        if (Is(obj, "call_expression") &&
            Qualify(Field(obj, "function"), depth + 1) == "Buffer.from") {
          return FoldBufferFrom(obj, depth + 1);
        }
        return Fold(obj, depth + 1);
      }
      // [..].join(sep) and s.split('').reverse().join('')
      if (prop == "join" && (Is(obj, "array") || Is(obj, "call_expression"))) {
        std::string sep = argc > 0 ? FoldOr(arg(0), ",") : ",";
        if (Is(obj, "array")) {
          Folded out;
          out.composed = true;
          std::uint32_t count = ts_node_named_child_count(obj);
          for (std::uint32_t i = 0; i < count; ++i) {
            auto e = Fold(ts_node_named_child(obj, i), depth + 1);
            if (!e || out.value.size() + e->value.size() > kMaxFolded) return std::nullopt;
            if (i) out.value += sep;
            out.value += e->value;
            out.decoded |= e->decoded;
          }
          return out;
        }
        if (Is(obj, "call_expression")) {
          TSNode rfn = Field(obj, "function");
          if (Is(rfn, "member_expression") && Text(Field(rfn, "property")) == "reverse") {
            TSNode split = Field(rfn, "object");
            if (Is(split, "call_expression")) {
              TSNode sfn = Field(split, "function");
              if (Is(sfn, "member_expression") && Text(Field(sfn, "property")) == "split") {
                auto s = Fold(Field(sfn, "object"), depth + 1);
                if (s) {
                  std::string r(s->value.rbegin(), s->value.rend());
                  return Folded{std::move(r), true, true};
                }
              }
            }
          }
          return std::nullopt;
        }
      }
    }
    std::string q = Qualify(fn, depth + 1);
    if (q == "Buffer.from") return FoldBufferFrom(n, depth + 1);
    if (auto d = decoders_.find(q); d != decoders_.end() && argc == 1) {
      auto s = Fold(arg(0), depth + 1);
      std::string out;
      if (!s) return std::nullopt;
      bool ok = d->second == "hex" ? DecodeHexLoose(s->value, &out)
                                   : DecodeBase64Loose(s->value, &out);
      if (ok) return Folded{std::move(out), true, true};
      return std::nullopt;
    }
    if (q == "atob" && argc > 0) {
      auto s = Fold(arg(0), depth + 1);
      std::string out;
      if (s && DecodeBase64Loose(s->value, &out)) return Folded{std::move(out), true, true};
      return std::nullopt;
    }
    if (q == "String.fromCharCode") {
      Folded out{"", true, true};
      for (std::uint32_t i = 0; i < argc; ++i) {
        TSNode a = arg(i);
        if (!Is(a, "number")) return std::nullopt;
        std::string_view num = Text(a);
        std::uint32_t v = 0;
        if (StartsWith(num, "0x") || StartsWith(num, "0X")) {
          for (char c : num.substr(2)) {
            int h = HexValue(static_cast<unsigned char>(c));
            if (h < 0) return std::nullopt;
            v = v * 16 + static_cast<std::uint32_t>(h);
            if (v > 0x10FFFF) return std::nullopt;
          }
        } else if (!SimpleAtoi(num, &v) || v > 0x10FFFF) {
          return std::nullopt;
        }
        AppendUtf8(out.value, v);
      }
      return out;
    }
    if (q == "decodeURIComponent" || q == "unescape" || q == "decodeURI") {
      if (argc == 0) return std::nullopt;
      auto s = Fold(arg(0), depth + 1);
      if (!s) return std::nullopt;
      std::string out;
      for (std::size_t i = 0; i < s->value.size(); ++i) {
        if (s->value[i] == '%' && i + 2 < s->value.size() + 0 && i + 2 <= s->value.size() - 1) {
          int h = HexValue(static_cast<unsigned char>(s->value[i + 1]));
          int l = HexValue(static_cast<unsigned char>(s->value[i + 2]));
          if (h >= 0 && l >= 0) {
            out.push_back(static_cast<char>(h * 16 + l));
            i += 2;
            continue;
          }
        }
        out.push_back(s->value[i]);
      }
      return Folded{std::move(out), true, true};
    }
    if (q == "path.join" || q == "path.resolve" || q == "path.posix.join" ||
        q == "path.win32.join") {
      Folded out;
      out.composed = true;
      for (std::uint32_t i = 0; i < argc; ++i) {
        auto e = Fold(arg(i), depth + 1);
        if (!e) {
          // An unknown piece (a variable folder) still lets the rest be checked.
          e = Folded{"*", false, true};
        }
        if (out.value.size() + e->value.size() > kMaxFolded) return std::nullopt;
        if (i) out.value += "/";
        out.value += e->value;
        out.decoded |= e->decoded;
      }
      return out;
    }
    if (q == "os.homedir") return Folded{"~", false, true};
    if (q == "os.tmpdir") return Folded{"/tmp", false, true};
    if (q == "String" && argc == 1) return Fold(arg(0), depth + 1);
    return std::nullopt;
  }

  std::optional<Folded> FoldBufferFrom(TSNode call, int depth) {
    TSNode args = Field(call, "arguments");
    if (ts_node_is_null(args) || ts_node_named_child_count(args) == 0) return std::nullopt;
    auto data = Fold(ts_node_named_child(args, 0), depth + 1);
    if (!data) return std::nullopt;
    std::string enc = ts_node_named_child_count(args) > 1
                          ? FoldOr(ts_node_named_child(args, 1), "?") : "utf8";
    std::string out;
    if (enc == "base64" || enc == "base64url") {
      if (!DecodeBase64Loose(data->value, &out)) return std::nullopt;
    } else if (enc == "hex") {
      if (!DecodeHexLoose(data->value, &out)) return std::nullopt;
    } else if (enc == "utf8" || enc == "utf-8" || enc == "latin1" || enc == "binary") {
      return data;
    } else {
      return std::nullopt;
    }
    return Folded{std::move(out), true, true};
  }

  // Whether the expression decodes data at run time (even when not constant).
  bool IsDecodedExpr(TSNode n, int depth) {
    if (depth == 0) budget_ = 512;
    if (ts_node_is_null(n) || depth > kMaxDepth || --budget_ < 0) return false;
    const char* t = ts_node_type(n);
    if (std::strcmp(t, "identifier") == 0) return tainted_.count(std::string(Text(n))) > 0;
    if (std::strcmp(t, "call_expression") == 0) {
      std::string q = Qualify(Field(n, "function"), depth + 1);
      if (decoders_.count(q)) return true;
      if (q == "atob" || q == "String.fromCharCode" || q == "unescape" ||
          q == "decodeURIComponent" || EndsWith(q, "createDecipheriv") ||
          EndsWith(q, "createDecipher") || EndsWith(q, "gunzipSync") ||
          EndsWith(q, "inflateSync") || EndsWith(q, "brotliDecompressSync")) {
        return true;
      }
      if (q == "Buffer.from") {
        TSNode args = Field(n, "arguments");
        if (ts_node_named_child_count(args) > 1) {
          std::string enc = FoldOr(ts_node_named_child(args, 1), "");
          if (enc == "base64" || enc == "hex" || enc == "base64url") return true;
        }
      }
    }
    if (std::strcmp(t, "string") == 0 || std::strcmp(t, "number") == 0) return false;
    // Walk a bounded number of children (calls nested in .toString(), concatenations, ...).
    std::uint32_t count = ts_node_named_child_count(n);
    for (std::uint32_t i = 0; i < count && i < 16; ++i) {
      if (IsDecodedExpr(ts_node_named_child(n, i), depth + 1)) return true;
    }
    return false;
  }

  bool IsConstant(TSNode n) {
    if (Is(n, "string") || Is(n, "number")) return true;
    return Fold(n, 0).has_value();
  }

  // ---- calls ----

  void OnCall(TSNode call, TSNode fn, TSNode args, bool is_new) {
    if (ts_node_is_null(fn)) return;
    std::string q = Qualify(fn, 0);
    if (q.empty()) return;
    if (EndsWith(q, ".call") || EndsWith(q, ".apply")) q.resize(q.rfind('.'));
    std::uint32_t argc = ts_node_is_null(args) ? 0 : ts_node_named_child_count(args);
    auto arg = [&](std::uint32_t i) { return ts_node_named_child(args, i); };
    std::uint32_t line = Line(call);

    if (q == "require" || Is(fn, "import")) {
      if (argc == 0 || Is(arg(0), "string")) return;
      auto f = Fold(arg(0), 0);
      // Decoded names, or names glued together from pieces into a built-in module
      // (`require('child' + '_process')`); not ordinary `require(path.join(dir, name))`.
      if (f && (f->decoded || (f->composed && IsSensitiveModule(f->value)))) {
        AddEvent(Kind::kHiddenRequire, line, f->value);
        AddString(f->value, line);
        ++facts_.decoded;
      }
      return;
    }
    std::string_view mod = std::string_view(q).substr(0, q.find('.'));
    std::string_view fname = q.find('.') == std::string::npos ? std::string_view{}
                                                              : std::string_view(q).substr(q.rfind('.') + 1);

    // eval / Function / vm
    bool is_eval = q == "eval" || q == "Function" ||
                   (mod == "vm" && (fname == "runInThisContext" || fname == "runInNewContext" ||
                                    fname == "runInContext" || fname == "compileFunction" ||
                                    fname == "Script" || fname == "SourceTextModule"));
    if (is_eval) {
      for (std::uint32_t i = 0; i < argc; ++i) {
        TSNode a = arg(i);
        auto f = Fold(a, 0);
        if ((f && f->decoded) || (!f && IsDecodedExpr(a, 0))) {
          AddEvent(Kind::kEvalDecoded, line, std::string(Text(call).substr(0, 160)));
          if (f) AddString(f->value, line);
          return;
        }
      }
      if (argc > 0 && !IsConstant(arg(argc - 1))) {
        AddEvent(Kind::kEvalDynamic, line, std::string(Text(call).substr(0, 160)));
      }
      return;
    }
    if (is_new) {
      if (q == "XMLHttpRequest" || q == "WebSocket") AddEvent(Kind::kNetwork, line, q);
      return;
    }

    // child processes
    bool spawn_mod = mod == "child_process" || mod == "execa" || mod == "shelljs" ||
                     mod == "cross-spawn";
    if (spawn_mod) {
      bool is_spawn = mod != "child_process" ||
                      fname == "exec" || fname == "execSync" || fname == "spawn" ||
                      fname == "spawnSync" || fname == "execFile" || fname == "execFileSync" ||
                      fname == "fork";
      if (mod == "child_process" && q == "child_process") is_spawn = false;
      if (is_spawn) {
        JsEvent e{Kind::kSpawn, line, "", false};
        std::string cmd;
        for (std::uint32_t i = 0; i < argc; ++i) {
          TSNode a = arg(i);
          if (Is(a, "object")) {
            std::string_view text = Text(a);
            if (text.size() < 4096 && (Contains(text, "detached") || Contains(text, "ignore"))) {
              e.silent |= ObjectHasTrue(a, "detached");
            }
            continue;
          }
          if (Is(a, "array")) {
            for (std::uint32_t k = 0; k < ts_node_named_child_count(a) && k < 32; ++k) {
              auto f = Fold(ts_node_named_child(a, k), 0);
              StrAppend(&cmd, " ", f ? f->value : std::string("<expr>"));
            }
            continue;
          }
          auto f = Fold(a, 0);
          StrAppend(&cmd, i ? " " : "", f ? f->value : std::string("<expr>"));
        }
        if (cmd.size() > kMaxFolded) cmd.resize(kMaxFolded);
        AddString(cmd, line);
        e.detail = std::move(cmd);
        facts_.events.push_back(std::move(e));
      }
      return;
    }

    // network
    bool net = false;
    if ((mod == "http" || mod == "https" || mod == "http2") &&
        (fname == "request" || fname == "get" || fname == "connect")) net = true;
    if ((mod == "net" || mod == "tls") &&
        (fname == "connect" || fname == "createConnection" || fname == "Socket")) net = true;
    if (mod == "dgram" && fname == "createSocket") net = true;
    if (mod == "dns" && (StartsWith(fname, "resolve") || fname == "lookup")) {
      net = true;
      AddEvent(Kind::kDns, line, argc ? FoldOr(arg(0), "<expr>") : "");
    }
    if (q == "fetch" || q == "node-fetch" || mod == "axios" || mod == "got" ||
        q == "request" || (mod == "request" && (fname == "get" || fname == "post")) ||
        q == "navigator.sendBeacon") net = true;
    if (net) {
      std::string url = argc ? FoldOr(arg(0), "") : "";
      if (argc && url.empty() && Is(arg(0), "object")) url = std::string(Text(arg(0)).substr(0, 300));
      AddString(url, line);
      AddEvent(Kind::kNetwork, line, url);
      // Whole environment or collected data as the payload.
      for (std::uint32_t i = 0; i < argc; ++i) {
        if (Qualify(arg(i), 0) == "process.env") AddEvent(Kind::kEnvWhole, line, "process.env sent");
      }
      return;
    }

    // whole environment
    if (q == "JSON.stringify" || q == "Buffer.from") {
      if (argc > 0 && Qualify(arg(0), 0) == "process.env") {
        AddEvent(Kind::kEnvWhole, line, std::string(Text(call).substr(0, 120)));
      }
      return;
    }

    // system information
    if (mod == "os" && (fname == "hostname" || fname == "userInfo" ||
                        fname == "networkInterfaces" || fname == "homedir")) {
      AddEvent(Kind::kSysinfo, line, q);
      return;
    }

    // file system
    if (mod == "fs") {
      std::string path = argc ? FoldOr(arg(0), "") : "";
      if (!path.empty()) AddString(path, line);
      bool read = fname == "readFileSync" || fname == "readFile" || fname == "createReadStream" ||
                  fname == "existsSync" || fname == "access" || fname == "accessSync" ||
                  fname == "readdirSync" || fname == "readdir" || fname == "openSync";
      bool write = fname == "writeFileSync" || fname == "writeFile" || fname == "appendFile" ||
                   fname == "appendFileSync" || fname == "createWriteStream" ||
                   fname == "mkdirSync" || fname == "mkdir" || fname == "outputFile" ||
                   fname == "outputFileSync" || fname == "writeJson" || fname == "writeJsonSync" ||
                   fname == "copyFile" || fname == "copyFileSync";
      if (read && IsCredentialPath(path)) AddEvent(Kind::kCredRead, line, path);
      if (fname == "readdirSync" || fname == "readdir") AddEvent(Kind::kDirWalk, line, path);
      if (write) {
        if (Contains(path, ".github/workflows") || Contains(path, ".github\\workflows")) {
          AddEvent(Kind::kWorkflowWrite, line, path);
        } else if (EndsWith(path, "package.json")) {
          AddEvent(Kind::kPackageJsonWrite, line, path);
        } else {
          AddEvent(Kind::kFileWrite, line, path);
        }
      }
      if ((fname == "chmodSync" || fname == "chmod") && argc > 1) {
        std::string_view modeText = Text(arg(1));
        if (Contains(modeText, "7") || Contains(modeText, "5") || Contains(modeText, "x")) {
          AddEvent(Kind::kChmod, line, path);
        }
      }
    }
  }

  static bool Contains(std::string_view s, std::string_view n) { return StrContains(s, n); }

  static bool IsSensitiveModule(std::string_view m) {
    m = StripModule(m);
    for (std::string_view s : {"child_process", "http", "https", "net", "dns", "fs", "os", "vm",
                               "tls", "dgram", "http2", "fs/promises", "worker_threads"}) {
      if (m == s) return true;
    }
    return false;
  }

  bool ObjectHasTrue(TSNode obj, std::string_view key) {
    std::uint32_t count = ts_node_named_child_count(obj);
    for (std::uint32_t i = 0; i < count; ++i) {
      TSNode p = ts_node_named_child(obj, i);
      if (!Is(p, "pair")) continue;
      TSNode k = Field(p, "key");
      std::string kt = Is(k, "property_identifier") ? std::string(Text(k)) : FoldOr(k, "");
      if (kt == key) {
        std::string_view v = Text(Field(p, "value"));
        return v == "true" || v == "!0" || v == "1";
      }
    }
    return false;
  }
  bool ObjectHasValue(TSNode obj, std::string_view key, std::string_view value) {
    std::uint32_t count = ts_node_named_child_count(obj);
    for (std::uint32_t i = 0; i < count; ++i) {
      TSNode p = ts_node_named_child(obj, i);
      if (!Is(p, "pair")) continue;
      TSNode k = Field(p, "key");
      std::string kt = Is(k, "property_identifier") ? std::string(Text(k)) : FoldOr(k, "");
      if (kt == key) return FoldOr(Field(p, "value"), "") == value;
    }
    return false;
  }

  static bool IsCredentialPath(std::string_view p) {
    if (p.empty()) return false;
    for (std::string_view c : {".npmrc", ".ssh/", ".ssh", "id_rsa", "id_ed25519", ".aws/credentials",
                               ".aws", ".git-credentials", ".netrc", ".docker/config.json",
                               ".kube/config", "/etc/shadow", "/etc/passwd", "gcloud",
                               ".pypirc", "Login Data", "Local Extension Settings",
                               "wallet.dat", "Local State", ".config/solana", "Exodus",
                               ".electrum", "keychain", "Cookies"}) {
      if (StrContains(p, c)) {
        // "~/.npmrc" style or a bare file name; not, say, "./lib/.ssh-agent.js".
        return true;
      }
    }
    return false;
  }

  // Long base64/hex literals that decode to text: the payload of a later eval, even when the
  // decoding step is not constant-foldable.
  void OnLiteral(TSNode n) {
    std::uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (b - a < 26 || b - a > (256u << 10)) return;
    std::string_view body = src_.substr(a + 1, b - a - 2);
    bool b64 = true, hex = true;
    for (unsigned char c : body) {
      if (B64Value(c) < 0 && c != '=') b64 = false;
      if (HexValue(c) < 0) hex = false;
      if (!b64 && !hex) return;
    }
    std::string out;
    if (hex && body.size() % 2 == 0) {
      if (!DecodeHexLoose(body, &out)) return;
    } else if (b64) {
      if (!DecodeBase64Loose(body, &out)) return;
    } else {
      return;
    }
    std::size_t printable = 0;
    for (unsigned char c : out) printable += (c >= 0x20 && c < 0x7F) || c == '\n' || c == '\t';
    if (out.size() >= 12 && printable * 100 >= out.size() * 95) AddString(out, Line(n));
  }

  void AddEvent(Kind k, std::uint32_t line, std::string detail) {
    if (facts_.events.size() >= 100000) return;
    if (detail.size() > 400) detail.resize(400);
    facts_.events.push_back(JsEvent{k, line, std::move(detail), false});
  }
  void AddString(std::string_view s, std::uint32_t line) {
    if (s.empty() || facts_.strings.size() >= kMaxStrings ||
        total_strings_ + s.size() > kMaxTotalStrings) {
      return;
    }
    total_strings_ += s.size();
    facts_.strings.emplace_back(s);
    facts_.string_lines.push_back(line);
  }

  std::string_view src_;
  JsFacts facts_;
  std::size_t total_strings_ = 0;
  int budget_ = 0;
  std::unordered_map<std::string, std::string> aliases_;
  std::unordered_map<std::string, std::string> consts_;
  std::unordered_set<std::string> tainted_;
  std::unordered_map<std::string, std::string> decoders_;
};

}  // namespace

bool DecodeBase64Loose(std::string_view in, std::string* out) {
  out->clear();
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t n = 0;
  for (unsigned char c : in) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    int v = B64Value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    ++n;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return n >= 2;
}

bool DecodeHexLoose(std::string_view in, std::string* out) {
  out->clear();
  if (in.size() % 2) return false;
  for (std::size_t i = 0; i < in.size(); i += 2) {
    int h = HexValue(static_cast<unsigned char>(in[i]));
    int l = HexValue(static_cast<unsigned char>(in[i + 1]));
    if (h < 0 || l < 0) return false;
    out->push_back(static_cast<char>(h * 16 + l));
  }
  return !in.empty();
}

JsFacts AnalyzeJs(std::string_view source) {
  if (source.size() > 0xFFFFFFF0u) return {};
  // Debian's tree-sitter 0.20.7 runtime corrupts its heap when error recovery holds ~65,000
  // unclosed brackets (found by the fuzz target). A file with fewer openers in total cannot get
  // there, so larger ones are left to the pattern rules (real code of that size is a bundle).
  std::size_t openers = 0;
  for (char c : source) openers += c == '(' || c == '[' || c == '{';
  if (openers > kMaxOpeners) return {};
  return Analyzer(source).Run();
}

}  // namespace bulwark::scan
