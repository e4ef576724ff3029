#include "security/scan/patterns.h"

#include <hs/hs.h>

#include "base/strings.h"

namespace bulwark::scan {
namespace {

struct Def {
  Ind id;
  const char* regex;
  unsigned flags;
};

constexpr unsigned kOnce = HS_FLAG_SINGLEMATCH;
constexpr unsigned kNoCase = HS_FLAG_CASELESS;

// Regexes are over bytes (no UTF-8 mode): the invisible/bidi rules name UTF-8 sequences.
const Def kDefs[] = {
    {Ind::kChildProcess, R"(child_process)", kOnce},
    {Ind::kNetModule,
     R"((require\(\s*|from\s*|import\(\s*)['"](node:)?(https?|http2|net|tls|dgram|dns)['"]|\bfetch\s*\(|XMLHttpRequest|\baxios\b|['"]node-fetch['"])",
     kOnce},
    {Ind::kFsModule, R"((require\(\s*|from\s*)['"](node:)?(fs|fs/promises|fs-extra|graceful-fs)['"])",
     kOnce},
    {Ind::kEval,
     R"(\beval\s*\(|\bnew\s+Function\s*\(|\bFunction\s*\(\s*['"]|\bvm\s*\.\s*(runIn|Script|compileFunction)|['"](node:)?vm['"])",
     kOnce},
    {Ind::kEnvWhole,
     R"(JSON\.stringify\(\s*process\.env\s*[,)])",
     kOnce},
    {Ind::kDecode,
     R"(['"](base64|hex|base64url)['"]\s*\)\s*\.\s*toString\s*\(|\batob\s*\(\s*['"\w]|String\.fromCharCode\s*\(\s*(0x)?\d|createDecipher)",
     kOnce},
    {Ind::kHexBlob, R"(['"]([0-9a-f]{2}){12})", 0},
    {Ind::kCredPath,
     R"(['"]\.(ssh|aws|npmrc|git-credentials|netrc|kube|docker)['"]|\.npmrc|\.ssh/|\bid_rsa\b|\bid_ed25519\b|\.aws/credentials|\.git-credentials|\.netrc\b|\.docker/config\.json|\.kube/config|/etc/shadow|\.config/gcloud|Login Data|Local Extension Settings|wallet\.dat|\.electrum|\.config/solana|Exodus/exodus)",
     kOnce},
    {Ind::kWebhook,
     R"(discord(app)?\.com/api/webhooks/|api\.telegram\.org/bot|hooks\.slack\.com/services/)",
     kOnce | kNoCase},
    {Ind::kShadyHost,
     R"(://([a-z0-9-]+\.)*(webhook\.site|pipedream\.net|ngrok\.io|ngrok-free\.app|ngrok\.app|trycloudflare\.com|oastify\.com|burpcollaborator\.net|interact\.sh|oast\.(pro|live|site|online|fun|me)|dnslog\.cn|requestbin\.(net|com)|pastebin\.com/raw|paste\.ee/|hastebin\.com|transfer\.sh|rentry\.co|files\.catbox\.moe|serveo\.net|localtunnel\.me|loca\.lt|npmjs\.help)\b)",
     kOnce | kNoCase},
    {Ind::kIpLookup,
     R"(ipinfo\.io|api\.ipify\.org|ifconfig\.me|ip-api\.com|ipgeolocation\.io|geolocation-db\.com|icanhazip\.com|checkip\.amazonaws\.com)",
     kOnce | kNoCase},
    {Ind::kRawIpUrl, R"((https?|wss?|ftp|tcp)://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b)", 0},
    {Ind::kDownloadExecShell,
     R"(\b(curl|wget)\s[^\n|;&]{0,200}\|\s*(sudo\s+)?(ba|z|da)?sh\b|\b(curl|wget)\s[^\n]{0,200}(&&|;)\s*(chmod\s|\./|sh\s|bash\s|start\s)|certutil(\.exe)?\s+-urlcache|powershell[^\n]{0,100}(\s-e(nc|ncodedcommand)?\s|IEX\b|Invoke-Expression|DownloadString|DownloadFile|Invoke-WebRequest)|bitsadmin\s+/transfer|mshta\s+https?:)",
     kOnce | kNoCase},
    {Ind::kFetchTool, R"(\b(curl|wget|Invoke-WebRequest|iwr)\s[^\n]{0,120}(https?|ftp)://)", kOnce | kNoCase},
    {Ind::kChmodX, R"(chmod\s+(u\+x|a\+x|\+x|0?7[0-7][0-7])\b)", kOnce},
    {Ind::kWorkflowPath, R"(\.github/workflows)", kOnce},
    {Ind::kNpmPublish, R"(\b(npm|yarn|pnpm)\s+publish\b)", kOnce},
    {Ind::kPackageJsonWrite,
     R"(write(File|FileSync|Json|JsonSync)\s*\([^\n;]{0,120}package\.json)", kOnce},
    {Ind::kRegistryHarvest,
     R"(/-/whoami|/-/v1/search\?text=maintainer|maintainer:\$\{|scripts\.postinstall\s*=|\[\s*['"]postinstall['"]\s*\]\s*=)",
     kOnce},
    {Ind::kTrufflehog, R"(trufflehog)", kOnce | kNoCase},
    {Ind::kWipe, R"(rm\s+-rf\s+(~|\$HOME|/\*?\s)|del\s+/[fsq]\s+/[fsq]|Remove-Item\s+-Recurse\s+-Force\s+\$HOME)",
     kOnce},
    {Ind::kWalletHook,
     R"(window\.ethereum|ethereum\.request\s*\(|eth_sendTransaction|solana\.signTransaction|phantom\.solana)",
     kOnce},
    {Ind::kSysinfo, R"(\bos\.(hostname|userInfo|networkInterfaces)\s*\(\s*\))", kOnce},
    {Ind::kDetached, R"(detached\s*:\s*(true|!0)\b)", kOnce},
    {Ind::kDynamicRequire,
     R"(\brequire\s*\(\s*[\w$.]+\s*\(|=\s*require\s*[,;]|module\.constructor|\._compile\b)", kOnce},
    {Ind::kHexIdent, R"(\b_0x[0-9a-f]{4,6}\b)", 0},
    {Ind::kWhileBang, R"(while\s*\(\s*!!\s*\[\s*\]\s*\))", kOnce},
    {Ind::kStringArrayRotate,
     R"(\[\s*['"]push['"]\s*\]\s*\(\s*[\w$]+\s*\[\s*['"]shift['"]\s*\]\s*\(\s*\)\s*\))", kOnce},
    {Ind::kJsFuck, R"(\[\+!\+\[\]\])", 0},  // `[+!+[]]`, counted: JSFuck's digit 1
    {Ind::kPacker, R"(eval\(function\(p,a,c,k,e,[rd]\))", kOnce},
    // A literal run of spaces (fast); the scanner then measures runs and what follows them.
    {Ind::kHiddenWhitespace, R"(                                                                                                    )", kOnce},
    {Ind::kBidi, R"(\xE2\x80[\xAA-\xAE]|\xE2\x81[\xA6-\xA9])", kOnce},
    {Ind::kInvisible, R"(\xE3\x85\xA4|\xEF\xBE\xA0|(\xF3\xA0[\x84-\x87][\x80-\xBF]){4})", kOnce},
    {Ind::kWalletAddress, R"(\b0x[a-fA-F0-9]{40}\b|\b(bc1q|bc1p)[a-z0-9]{38}\b)", 0},
    {Ind::kSecBwk, R"(bwk_[0-9A-Za-z]{36})", 0},
    {Ind::kSecNpm, R"(npm_[0-9A-Za-z]{36})", 0},
    {Ind::kSecGithub, R"(gh[pousr]_[0-9A-Za-z]{36})", 0},
    {Ind::kSecGithubPat, R"(github_pat_[0-9A-Za-z_]{82})", 0},
    {Ind::kSecAws, R"((AKIA|ASIA)[0-9A-Z]{16})", 0},
    {Ind::kSecSlack, R"(xox[baprs]-[0-9]{8,14}-[0-9A-Za-z-]{8})", 0},
    {Ind::kSecPrivateKey,
     R"(-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----)", 0},
    {Ind::kSecAuthToken, R"((_authToken|_auth|_password)\s*=\s*[^\s$'"{<])", 0},
};

struct Ctx {
  PatternHits* hits;
};

int OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
            unsigned int /*flags*/, void* ctx) {
  auto* hits = static_cast<Ctx*>(ctx)->hits;
  if (id >= kIndCount) return 0;
  if (hits->count[id] == 0) hits->first_end[id] = to;
  if (hits->count[id] < 1'000'000) ++hits->count[id];
  if (KeepsAll(static_cast<Ind>(id)) && hits->secrets.size() < 10'000) {
    hits->secrets.push_back({static_cast<Ind>(id), to});
  }
  return 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PatternEngine>> PatternEngine::Create() {
  std::unique_ptr<PatternEngine> engine(new PatternEngine());
  for (bool secrets_only : {false, true}) {
    std::vector<const char*> exprs;
    std::vector<unsigned> flags, ids;
    for (const Def& d : kDefs) {
      if (secrets_only && !IsSecret(d.id)) continue;
      exprs.push_back(d.regex);
      flags.push_back(d.flags);
      ids.push_back(static_cast<unsigned>(d.id));
    }
    hs_compile_error_t* err = nullptr;
    hs_database** db = secrets_only ? &engine->secrets_db_ : &engine->db_;
    if (hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, db,
                         &err) != HS_SUCCESS) {
      std::string msg = StrCat("hyperscan: pattern ", err ? err->expression : -1, ": ",
                               err && err->message ? err->message : "compile failed");
      hs_free_compile_error(err);
      return absl::InternalError(msg);
    }
    // One scratch serves both databases (allocated for the larger, grown for the other).
    if (hs_alloc_scratch(*db, &engine->proto_) != HS_SUCCESS) {
      return absl::InternalError("hyperscan: cannot allocate scratch");
    }
  }
  return engine;
}

PatternEngine::~PatternEngine() {
  for (hs_scratch* s : free_) hs_free_scratch(s);
  if (proto_) hs_free_scratch(proto_);
  if (db_) hs_free_database(db_);
  if (secrets_db_) hs_free_database(secrets_db_);
}

hs_scratch* PatternEngine::TakeScratch() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      hs_scratch* s = free_.back();
      free_.pop_back();
      return s;
    }
  }
  hs_scratch* s = nullptr;
  if (hs_clone_scratch(proto_, &s) != HS_SUCCESS) return nullptr;
  return s;
}

void PatternEngine::ReturnScratch(hs_scratch* s) const {
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(s);
}

absl::Status PatternEngine::Scan(std::string_view data, PatternHits* hits, bool code) const {
  if (data.empty()) return absl::OkStatus();
  if (data.size() > 0xFFFFFFFFull) return absl::InvalidArgumentError("file too large to scan");
  hs_scratch* scratch = TakeScratch();
  if (scratch == nullptr) return absl::InternalError("hyperscan: cannot allocate scratch");
  Ctx ctx{hits};
  hs_error_t rc = hs_scan(code ? db_ : secrets_db_, data.data(), static_cast<unsigned>(data.size()), 0, scratch,
                          OnMatch, &ctx);
  ReturnScratch(scratch);
  if (rc != HS_SUCCESS) return absl::InternalError(StrCat("hyperscan: scan failed (", rc, ")"));
  return absl::OkStatus();
}

}  // namespace bulwark::scan
