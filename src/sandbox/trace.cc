#include "sandbox/trace.h"

#include <cctype>
#include <unordered_map>

#include "base/strings.h"

namespace bulwark::sandbox {
namespace {

constexpr size_t kMaxCalls = 2'000'000;  // A trace past this is cut (RLIMIT_FSIZE bounds it too).

// "= 3</path>" or "= -1 ENOENT (No such file or directory)" or "= 0" or "= ? <unavailable>".
void ParseResult(std::string_view r, Syscall& c) {
  r = StripAsciiWhitespace(r);
  if (StartsWith(r, "?")) {
    c.ret = 0;
    c.error = "unfinished";
    return;
  }
  size_t end = 0;
  while (end < r.size() && (r[end] == '-' || (r[end] >= '0' && r[end] <= '9'))) ++end;
  if (end == 0 || !SimpleAtoi(r.substr(0, end), &c.ret)) {
    c.ret = 0;
    return;
  }
  std::string_view rest = StripAsciiWhitespace(r.substr(end));
  if (c.ret < 0) {
    size_t sp = rest.find(' ');
    c.error = std::string(rest.substr(0, sp));
  } else if (StartsWith(rest, "<") && rest.find('>') != std::string_view::npos) {
    c.ret_path = std::string(rest.substr(1, rest.rfind('>') - 1));
  }
}

// The " = " that ends the arguments: the last one outside quotes.
size_t ResultSplit(std::string_view s) {
  bool quoted = false;
  size_t found = std::string_view::npos;
  for (size_t i = 0; i < s.size(); ++i) {
    if (quoted) {
      if (s[i] == '\\') ++i;
      else if (s[i] == '"') quoted = false;
    } else if (s[i] == '"') {
      quoted = true;
    } else if (s[i] == ')' && i + 3 < s.size() && s.substr(i, 4) == ") = ") {
      found = i;
    }
  }
  return found;
}

std::string DirOf(std::string_view arg) {
  // AT_FDCWD</cwd> or 3</dir>.
  size_t lt = arg.find('<');
  if (lt == std::string_view::npos || arg.empty() || arg.back() != '>') return "";
  return std::string(arg.substr(lt + 1, arg.size() - lt - 2));
}

std::string Join(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || dir.empty()) return path;
  return dir.back() == '/' ? dir + path : dir + "/" + path;
}

std::string Arg(const std::vector<std::string_view>& a, size_t i) {
  if (i >= a.size()) return "";
  auto s = Unquote(StripAsciiWhitespace(a[i]));
  return s ? *s : "";
}

std::vector<std::string> StringArray(std::string_view arr, size_t limit) {
  std::vector<std::string> out;
  arr = StripAsciiWhitespace(arr);
  if (arr.size() < 2 || arr.front() != '[') return out;
  arr = arr.substr(1, arr.size() - 2);
  for (std::string_view item : SplitArgs(arr)) {
    if (out.size() >= limit) break;
    if (auto s = Unquote(StripAsciiWhitespace(item))) out.push_back(*s);
  }
  return out;
}

std::string Between(std::string_view s, std::string_view open, std::string_view close) {
  size_t a = s.find(open);
  if (a == std::string_view::npos) return "";
  a += open.size();
  size_t b = s.find(close, a);
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(a, b - a));
}

void Address(std::string_view args, Event& e) {
  std::string port = Between(args, "_port=htons(", ")");
  SimpleAtoi(port, &e.port);
  if (auto v4 = Between(args, "inet_addr(\"", "\""); !v4.empty()) {
    e.address = v4;
  } else if (auto v6 = Between(args, "inet_pton(AF_INET6, \"", "\""); !v6.empty()) {
    e.address = v6;
  } else if (auto un = Between(args, "sun_path=\"", "\""); !un.empty()) {
    e.address = "unix:" + un;
  } else if (auto un2 = Between(args, "sun_path=@\"", "\""); !un2.empty()) {
    e.address = "unix:@" + un2;
  }
}

bool IsWriteOpen(std::string_view flags) {
  return StrContains(flags, "O_WRONLY") || StrContains(flags, "O_RDWR") ||
         StrContains(flags, "O_CREAT") || StrContains(flags, "O_TRUNC");
}

struct Proc {
  std::string phase = "npm";
  int parent = 0;
  std::string exe;
};

}  // namespace

std::vector<std::string_view> SplitArgs(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '"') quoted = true;
    else if (c == '[' || c == '{' || c == '(') ++depth;
    else if ((c == ']' || c == '}' || c == ')') && depth > 0) --depth;
    else if (c == ',' && depth == 0) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  if (start < s.size()) out.push_back(s.substr(start));
  return out;
}

std::optional<std::string> Unquote(std::string_view q) {
  if (q.size() < 2 || q.front() != '"') return std::nullopt;
  if (EndsWith(q, "\"...")) q.remove_suffix(3);
  if (q.back() != '"') return std::nullopt;
  q = q.substr(1, q.size() - 2);
  std::string out;
  for (size_t i = 0; i < q.size(); ++i) {
    if (q[i] != '\\' || i + 1 >= q.size()) {
      out.push_back(q[i]);
      continue;
    }
    char e = q[++i];
    switch (e) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case 'v': out.push_back('\v'); break;
      case 'f': out.push_back('\f'); break;
      case 'x': {
        int v = 0, n = 0;
        while (n < 2 && i + 1 < q.size() && isxdigit(static_cast<unsigned char>(q[i + 1]))) {
          char h = q[++i];
          v = v * 16 + (h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
          ++n;
        }
        out.push_back(static_cast<char>(v));
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int v = e - '0', n = 1;
          while (n < 3 && i + 1 < q.size() && q[i + 1] >= '0' && q[i + 1] <= '7') {
            v = v * 8 + (q[++i] - '0');
            ++n;
          }
          out.push_back(static_cast<char>(v & 0xff));
        } else {
          out.push_back(e);
        }
    }
  }
  return out;
}

std::vector<Syscall> ParseTrace(std::string_view trace) {
  std::vector<Syscall> out;
  std::unordered_map<int, std::string> unfinished;  // pid -> "name(args..."
  std::unordered_map<int, double> unfinished_t;
  for (std::string_view line : StrSplit(trace, '\n', SkipEmpty())) {
    if (out.size() >= kMaxCalls) break;
    size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) continue;
    int pid = 0;
    if (!SimpleAtoi(line.substr(0, sp1), &pid)) continue;
    std::string_view rest = StripAsciiWhitespace(line.substr(sp1 + 1));
    size_t sp2 = rest.find(' ');
    if (sp2 == std::string_view::npos) continue;
    double t = 0;
    if (!SimpleAtod(rest.substr(0, sp2), &t)) continue;
    rest = rest.substr(sp2 + 1);
    std::string text;
    if (StartsWith(rest, "<... ")) {
      auto it = unfinished.find(pid);
      size_t resumed = rest.find(" resumed>");
      if (it == unfinished.end() || resumed == std::string_view::npos) continue;
      text = it->second + std::string(rest.substr(resumed + 9));
      t = unfinished_t[pid];
      unfinished.erase(it);
    } else if (EndsWith(rest, " <unfinished ...>")) {
      unfinished[pid] = std::string(rest.substr(0, rest.size() - 17));
      unfinished_t[pid] = t;
      continue;
    } else if (StartsWith(rest, "+++") && unfinished.count(pid)) {
      // The process died inside the call (kill(-1, SIGKILL), exit_group from another thread):
      // the call is still an attempt worth recording, with an unknown result.
      text = unfinished[pid] + ") = ? <unfinished>";
      t = unfinished_t[pid];
      unfinished.erase(pid);
    } else {
      if (StartsWith(rest, "---") || StartsWith(rest, "+++")) continue;
      text = std::string(rest);
    }
    size_t paren = text.find('(');
    size_t split = ResultSplit(text);
    if (paren == std::string::npos || split == std::string::npos || split < paren) continue;
    Syscall c;
    c.pid = pid;
    c.t = t;
    c.name = text.substr(0, paren);
    c.args = text.substr(paren + 1, split - paren - 1);
    ParseResult(std::string_view(text).substr(split + 3), c);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Event> BuildEvents(const std::vector<Syscall>& calls) {
  std::vector<Event> out;
  std::unordered_map<int, Proc> procs;
  for (const Syscall& c : calls) {
    Proc& p = procs[c.pid];
    Event e;
    e.t = c.t;
    e.pid = c.pid;
    e.ok = c.ret >= 0;
    e.error = c.error;
    auto a = SplitArgs(c.args);
    const std::string& n = c.name;
    if (n == "clone" || n == "clone3" || n == "fork" || n == "vfork") {
      if (c.ret > 0) {
        Proc child = p;
        child.parent = c.pid;
        procs[static_cast<int>(c.ret)] = child;
        continue;
      }
      e.kind = "clone-failed";
    } else if (n == "execve" || n == "execveat") {
      const size_t off = n == "execveat" ? 1 : 0;
      e.kind = "exec";
      e.path = Arg(a, off);
      if (a.size() > off + 1) e.argv = StringArray(a[off + 1], 64);
      if (a.size() > off + 2 && e.ok) {
        std::string phase = "npm";
        for (const std::string& kv : StringArray(a[off + 2], 512)) {
          std::string_view v = kv;
          if (ConsumePrefix(&v, "npm_lifecycle_event=")) phase = std::string(v);
        }
        p.phase = phase;
        p.exe = e.path;
      }
      // npm itself (run by a script, as esbuild's installer does) is the package manager, whatever
      // phase it inherited: its reads of ~/.npmrc and its cache are its own. `/usr/bin/npm` is
      // a script, so the exec that runs it is node's with the script as argv[1].
      auto is_npm = [](std::string_view path) {
        size_t slash = path.rfind('/');
        std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
        return base == "npm" || base == "npx" || base == "npm-cli.js" || base == "npx-cli.js";
      };
      if (e.ok && (is_npm(e.path) || (e.argv.size() > 1 && is_npm(e.argv[1])))) p.exe = "npm";
    } else if (n == "open" || n == "openat" || n == "creat") {
      const bool at = n == "openat";
      std::string path = Arg(a, at ? 1 : 0);
      std::string flags = a.size() > (at ? 2u : 1u) ? std::string(a[at ? 2 : 1]) : "";
      e.kind = n == "creat" || IsWriteOpen(flags) ? "write" : "read";
      e.path = !c.ret_path.empty() ? c.ret_path : Join(at ? DirOf(a.empty() ? "" : a[0]) : "", path);
    } else if (n == "unlink" || n == "unlinkat") {
      const bool at = n == "unlinkat";
      e.kind = "delete";
      e.path = Join(at && !a.empty() ? DirOf(a[0]) : "", Arg(a, at ? 1 : 0));
    } else if (n == "rename" || n == "renameat" || n == "renameat2") {
      e.kind = "rename";
      if (n == "rename") {
        e.path = Arg(a, 0);
        e.path2 = Arg(a, 1);
      } else if (a.size() >= 4) {
        e.path = Join(DirOf(a[0]), Arg(a, 1));
        e.path2 = Join(DirOf(a[2]), Arg(a, 3));
      }
    } else if (n == "chmod" || n == "fchmodat") {
      e.kind = "chmod";
      e.path = n == "chmod" ? Arg(a, 0) : Join(a.empty() ? "" : DirOf(a[0]), Arg(a, 1));
      if (a.size() >= (n == "chmod" ? 2u : 3u)) {
        e.argv = {std::string(StripAsciiWhitespace(a[n == "chmod" ? 1 : 2]))};
      }
    } else if (n == "mkdir" || n == "mkdirat") {
      e.kind = "mkdir";
      e.path = n == "mkdir" ? Arg(a, 0) : Join(a.empty() ? "" : DirOf(a[0]), Arg(a, 1));
    } else if (n == "symlink" || n == "symlinkat" || n == "link" || n == "linkat") {
      e.kind = "link";
      e.path2 = Arg(a, 0);
      if (n == "symlink" || n == "link") {
        e.path = Arg(a, 1);
      } else if (n == "symlinkat") {
        e.path = Join(a.size() > 1 ? DirOf(a[1]) : "", Arg(a, 2));
      } else {
        e.path2 = Join(a.empty() ? "" : DirOf(a[0]), Arg(a, 1));
        e.path = Join(a.size() > 2 ? DirOf(a[2]) : "", Arg(a, 3));
      }
    } else if (n == "truncate") {
      e.kind = "write";
      e.path = Arg(a, 0);
    } else if (n == "connect" || n == "sendto" || n == "sendmsg") {
      e.kind = n == "connect" ? "connect" : "send";
      Address(c.args, e);
      if (e.address.empty()) continue;  // sendto on a connected socket: the connect is recorded.
    } else if (n == "ptrace") {
      e.kind = "ptrace";
      e.argv = {std::string(StripAsciiWhitespace(a.empty() ? "" : a[0]))};
      if (a.size() > 1) SimpleAtoi(StripAsciiWhitespace(a[1]), &e.number);
    } else if (n == "kill" || n == "tkill") {
      e.kind = "kill";
      if (!a.empty()) SimpleAtoi(StripAsciiWhitespace(a[0]), &e.number);
      if (a.size() > 1) e.argv = {std::string(StripAsciiWhitespace(a[1]))};
    } else if (n == "nanosleep" || n == "clock_nanosleep") {
      std::string sec = Between(c.args, "tv_sec=", ",");
      if (!SimpleAtoi(sec, &e.number) || e.number < 1) continue;
      e.kind = "sleep";
    } else {
      continue;
    }
    e.phase = p.phase;
    e.exe = p.exe;
    e.parent = p.parent;
    if (auto it = procs.find(p.parent); it != procs.end()) e.parent_exe = it->second.exe;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace bulwark::sandbox
