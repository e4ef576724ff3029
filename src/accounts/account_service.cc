#include "base/strings.h"
#include "accounts/account_service.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "accounts/tokens.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/package_name.h"
#include "base/time_format.h"

namespace bulwark {
namespace {

constexpr size_t kMaxUserName = 64;
constexpr size_t kMaxEmail = 254;  // RFC 5321 path limit.
// Web-login session ids: 32 base62 characters (190 bits); they appear in URLs.
constexpr size_t kSessionIdChars = 32;

// A fixed argon2id hash checked when the user does not exist, so that a wrong user name costs
// as long as a wrong password and response times do not reveal which names exist.
const std::string& DummyHash(Random& random, const Argon2Params& params) {
  static const std::string* hash = [&] {
    auto h = HashPassword("not-a-real-password", random, params);
    return new std::string(h.ok() ? *h : "");
  }();
  return *hash;
}

// A token's last use is written at most this often: every request reads the token row anyway,
// and a write per request would serialise reads behind the store's writer.
constexpr absl::Duration kLastUsedResolution = absl::Minutes(1);

constexpr char kIpPayload[] = "type.bulwark.dev/ip-refused";

std::string TokenDetail(const TokenRecord& t) {
  std::string d = StrCat("token ", t.prefix, t.name.empty() ? "" : StrCat(" (", t.name, ")"));
  if (t.readonly) d += ", read-only";
  if (!t.packages.empty()) d += StrCat(", packages ", StrJoin(t.packages, ","));
  if (!t.scopes.empty()) d += StrCat(", scopes ", StrJoin(t.scopes, ","));
  if (!t.cidr_whitelist.empty()) d += StrCat(", from ", StrJoin(t.cidr_whitelist, ","));
  if (t.bypass_2fa) d += ", automation (bypasses 2FA)";
  return d;
}

}  // namespace

absl::Status IpRefusedError(std::string message) {
  absl::Status s = absl::UnauthenticatedError(std::move(message));
  s.SetPayload(kIpPayload, absl::Cord("1"));
  return s;
}

bool IsIpRefused(const absl::Status& status) {
  return status.GetPayload(kIpPayload).has_value();
}

absl::Status CheckTokenAllows(const Identity& who, std::string_view package) {
  const bool limited = !who.packages.empty() || !who.scopes.empty();
  if (package.empty()) {
    if (who.readonly) {
      return absl::PermissionDeniedError(
          "this token is read-only: it cannot change the account (tokens, profile, 2FA)");
    }
    if (limited) {
      return absl::PermissionDeniedError(
          "this token is limited to some packages or scopes: it cannot change the account "
          "(tokens, profile, 2FA); use the token from npm login");
    }
    return absl::OkStatus();
  }
  if (who.readonly) {
    return absl::PermissionDeniedError(
        StrCat("this token is read-only and cannot change ", package));
  }
  if (!limited) return absl::OkStatus();
  if (std::find(who.packages.begin(), who.packages.end(), package) != who.packages.end()) {
    return absl::OkStatus();
  }
  if (auto parts = SplitPackageName(package); parts && !parts->scope.empty()) {
    const std::string& scope = parts->scope;
    if (std::find(who.scopes.begin(), who.scopes.end(), scope) != who.scopes.end()) {
      return absl::OkStatus();
    }
  }
  std::vector<std::string> allowed = who.packages;
  for (const auto& sc : who.scopes) allowed.push_back(sc + "/*");
  return absl::PermissionDeniedError(StrCat("this token may change only ", StrJoin(allowed, ", "),
                                            ", not ", package));
}

void AccountService::RecordEvent(std::string_view kind, std::string_view user,
                                 std::string_view remote_ip, std::string detail,
                                 std::string_view package) {
  LogInfo("security event %s user=%s address=%s %s%s%s", std::string(kind), std::string(user),
          std::string(remote_ip), std::string(package), package.empty() ? "" : " ", detail);
  if (!events_) return;
  SecurityEvent e;
  e.time = clock_.Now();
  e.kind = std::string(kind);
  e.user = std::string(user);
  e.address = std::string(remote_ip);
  e.package = std::string(package);
  e.detail = std::move(detail);
  absl::Status s = events_->RecordEvent(e);
  if (!s.ok()) LogError("security event not stored: %s", s.ToString());
}

AccountService::AccountService(MetadataStore& store, Clock& clock, Random& random,
                               AccountOptions options)
    : store_(store), clock_(clock), random_(random), options_(std::move(options)) {}

absl::Status AccountService::CheckUserName(std::string_view name) {
  if (name.empty() || name.size() > kMaxUserName) {
    return absl::InvalidArgumentError(
        StrCat("user name must be 1 to ", kMaxUserName, " characters"));
  }
  if (!absl::ascii_islower(name[0]) && !absl::ascii_isdigit(name[0])) {
    return absl::InvalidArgumentError("user name must start with a lower-case letter or digit");
  }
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-' && c != '.' && c != '_') {
      return absl::InvalidArgumentError(
          "user name may contain only lower-case letters, digits, '-', '.' and '_'");
    }
  }
  return absl::OkStatus();
}

absl::Status AccountService::CheckEmail(std::string_view email) {
  size_t at = email.find('@');
  if (email.size() > kMaxEmail || at == 0 || at == std::string_view::npos ||
      email.find('@', at + 1) != std::string_view::npos) {
    return absl::InvalidArgumentError("email address is not valid");
  }
  std::string_view domain = email.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.') {
    return absl::InvalidArgumentError("email address is not valid");
  }
  for (char c : email) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',' || c == ';') {
      return absl::InvalidArgumentError("email address is not valid");
    }
  }
  return absl::OkStatus();
}

absl::Status AccountService::CheckNewPassword(std::string_view password, std::string_view user) {
  BULWARK_RETURN_IF_ERROR(CheckPasswordRules(password, user));
  absl::Status breached = CheckNotBreached(password, breached_);
  if (!breached.ok()) breached_refusals_.fetch_add(1);
  return breached;
}

absl::Status AccountService::CheckNewAccountPassword(std::string_view password,
                                                     std::string_view user) {
  BULWARK_RETURN_IF_ERROR(CheckPasswordRules(password, user));
  absl::Status breached = CheckNotBreached(password, breached_);
  if (!breached.ok()) {
    breached_refusals_.fetch_add(1);
    // Counted for stats: the share of new-account passwords refused as breached.
    RecordEvent("password.breached", user, "", "refused at sign-up");
  }
  return breached;
}

absl::StatusOr<UserRecord> AccountService::CreateUser(std::string_view name,
                                                      std::string_view email,
                                                      std::string_view password, bool admin) {
  BULWARK_RETURN_IF_ERROR(CheckUserName(name));
  BULWARK_RETURN_IF_ERROR(CheckEmail(email));
  BULWARK_RETURN_IF_ERROR(CheckNewAccountPassword(password, name));
  UserRecord u;
  u.name = std::string(name);
  u.email = std::string(email);
  BULWARK_ASSIGN_OR_RETURN(u.password_hash, HashPassword(password, random_, options_.argon2));
  u.admin = admin;
  u.created = u.updated = clock_.Now();
  BULWARK_RETURN_IF_ERROR(store_.CreateUser(u));
  RecordEvent("account.created", u.name, "", admin ? "administrator" : "");
  return u;
}

namespace {
std::string UserKey(std::string_view user) { return StrCat("user:", user); }
std::string AddressKey(std::string_view ip) { return StrCat("ip:", ClientAddressKey(ip)); }
}  // namespace

absl::Status AccountService::CheckThrottle(LoginThrottle& throttle, std::string_view user,
                                           std::string_view remote_ip) {
  absl::Status s = throttle.Check(UserKey(user));
  if (s.ok() && !remote_ip.empty()) s = throttle.Check(AddressKey(remote_ip));
  if (!s.ok()) {
    throttled_.fetch_add(1, std::memory_order_relaxed);
    RecordEvent(&throttle == &password_throttle_ ? "login.throttled" : "otp.throttled", user,
                remote_ip, std::string(s.message()));
  }
  return s;
}

void AccountService::RecordFailure(LoginThrottle& throttle, std::string_view user,
                                   std::string_view remote_ip) {
  throttle.RecordFailure(UserKey(user));
  if (!remote_ip.empty()) throttle.RecordFailure(AddressKey(remote_ip));
}

void AccountService::RecordSuccess(LoginThrottle& throttle, std::string_view user) {
  throttle.RecordSuccess(UserKey(user));
}

absl::StatusOr<UserRecord> AccountService::CheckPassword(std::string_view name,
                                                         std::string_view password,
                                                         std::string_view remote_ip) {
  // Before the password is looked at: during a lockout even the right one is refused, so a
  // guesser learns nothing from attempts made while waiting.
  BULWARK_RETURN_IF_ERROR(CheckThrottle(password_throttle_, name, remote_ip));
  auto user = store_.GetUser(name);
  if (!user.ok()) {
    if (!absl::IsNotFound(user.status())) return user.status();
    VerifyPassword(password, DummyHash(random_, options_.argon2));
    // Unknown names count too: throttling must not reveal which names exist.
    RecordFailure(password_throttle_, name, remote_ip);
    RecordEvent("login.failure", name, remote_ip, "wrong user name or password");
    return absl::UnauthenticatedError("incorrect user name or password");
  }
  if (!VerifyPassword(password, user->password_hash)) {
    RecordFailure(password_throttle_, name, remote_ip);
    RecordEvent("login.failure", name, remote_ip, "wrong user name or password");
    return absl::UnauthenticatedError("incorrect user name or password");
  }
  RecordSuccess(password_throttle_, name);
  return user;
}

absl::StatusOr<UserRecord> AccountService::GetUser(std::string_view name) {
  return store_.GetUser(name);
}

absl::StatusOr<AuthResult> AccountService::Authenticate(std::string_view authorization,
                                                        std::string_view remote_ip) {
  AuthResult result;
  authorization = StripAsciiWhitespace(authorization);
  if (authorization.empty()) return result;
  size_t sp = authorization.find(' ');
  std::string_view scheme = authorization.substr(0, sp);
  std::string_view cred =
      sp == std::string_view::npos ? "" : StripAsciiWhitespace(authorization.substr(sp));
  if (EqualsIgnoreCase(scheme, "Bearer")) {
    auto token = store_.GetToken(TokenKey(cred));
    if (!token.ok()) {
      if (!absl::IsNotFound(token.status())) return token.status();
      result.rejected = "Access token expired or revoked. Please try logging in again.";
      return result;
    }
    const absl::Time now = clock_.Now();
    if (token->expires && *token->expires <= now) {
      // Says when, so a user with a short-lived login token knows it simply ran out.
      result.rejected = StrCat("Access token expired or revoked (it expired ",
                               FormatIsoTime(*token->expires),
                               "). Please try logging in again: npm login");
      result.token_user = token->user;
      return result;
    }
    if (!token->cidr_whitelist.empty() && !IpInCidrs(remote_ip, token->cidr_whitelist)) {
      result.rejected = StrCat("Access token ", token->prefix,
                               " is not allowed from this IP address (", remote_ip, ").");
      result.ip_refused = true;
      result.token_user = token->user;
      return result;
    }
    if (!token->last_used || now - *token->last_used >= kLastUsedResolution) {
      absl::Status touched = store_.TouchToken(token->key, now);
      if (!touched.ok()) LogWarning("token last-use not recorded: %s", touched.ToString());
    }
    auto user = store_.GetUser(token->user);
    if (!user.ok()) {
      if (!absl::IsNotFound(user.status())) return user.status();
      result.rejected = "Access token belongs to a deleted user.";
      return result;
    }
    Identity id;
    id.user = user->name;
    id.admin = user->admin;
    id.readonly = token->readonly;
    id.token_key = token->key;
    id.packages = token->packages;
    id.scopes = token->scopes;
    id.bypass_2fa = token->bypass_2fa;
    id.token_prefix = token->prefix;
    id.login_session = token->name == kLoginTokenName || token->name == kWebLoginTokenName;
    result.identity = std::move(id);
    return result;
  }
  if (EqualsIgnoreCase(scheme, "Basic")) {
    auto decoded = Base64Decode(cred);
    size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      result.rejected = "Malformed Basic credentials.";
      return result;
    }
    auto user = CheckPassword(decoded->substr(0, colon), decoded->substr(colon + 1), remote_ip);
    if (!user.ok()) {
      if (!absl::IsUnauthenticated(user.status())) return user.status();
      result.rejected = "Incorrect user name or password.";
      return result;
    }
    // A password sent with every request cannot carry a one-time code each time, so accounts
    // with 2FA must use tokens (npm-registry-api.md §5.5: Basic auth needs the second factor).
    auto tfa = EffectiveTfaMode(user->name);
    if (!tfa.ok()) return tfa.status();
    if (tfa->has_value()) {
      result.rejected = "This account uses two-factor authentication: password (Basic) "
                        "authentication is not accepted. Run npm login to get a token.";
      return result;
    }
    Identity id;
    id.user = user->name;
    id.admin = user->admin;
    result.identity = std::move(id);
    return result;
  }
  result.rejected = "Unsupported authorization scheme.";
  return result;
}

absl::StatusOr<AccountService::Minted> AccountService::CreateToken(std::string_view user,
                                                                   const TokenOptions& options,
                                                                   std::string_view remote_ip) {
  for (const auto& c : options.cidr_whitelist) {
    std::vector<std::string_view> parts = StrSplit(c, '/');
    in_addr addr;
    int bits = 0;
    if (parts.size() != 2 || inet_pton(AF_INET, std::string(parts[0]).c_str(), &addr) != 1 ||
        !SimpleAtoi(parts[1], &bits) || bits < 0 || bits > 32) {
      return absl::InvalidArgumentError("invalid CIDR: " + c);
    }
  }
  std::vector<std::string> scopes;
  for (const auto& raw : options.scopes) {
    std::string scope = raw.empty() || raw[0] == '@' ? raw : "@" + raw;
    auto check = ValidatePackageName(StrCat(scope, "/x"));
    if (scope.size() < 2 || scope.find('/') != std::string::npos ||
        !check.valid_for_new_packages) {
      return absl::InvalidArgumentError(StrCat("invalid scope: \"", raw, "\""));
    }
    scopes.push_back(std::move(scope));
  }
  for (const auto& p : options.packages) {
    if (!ValidatePackageName(p).valid_for_old_packages) {
      return absl::InvalidArgumentError(StrCat("invalid package name: \"", p, "\""));
    }
  }
  if (!options.login_session &&
      (options.name == kLoginTokenName || options.name == kWebLoginTokenName)) {
    return absl::InvalidArgumentError(
        StrCat("\"", options.name, "\" is reserved for login sessions; choose another name"));
  }
  absl::Duration lifetime = options.lifetime.value_or(
      options.login_session ? options_.login_token_lifetime : options_.session_token_lifetime);
  if (lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("token lifetime must be positive");
  }
  const absl::Duration max =
      options.readonly ? options_.max_token_lifetime : options_.max_write_token_lifetime;
  if (lifetime > max) {
    return absl::InvalidArgumentError(
        StrCat(options.readonly ? "read-only" : "publish (read-write)",
               " tokens may live at most ", absl::ToInt64Hours(max) / 24,
               " days on this registry; ask for less with --expires=<days>",
               options.readonly ? "" : " or create a read-only token"));
  }
  Minted m;
  m.secret = NewTokenSecret(random_);
  m.record.key = TokenKey(m.secret);
  m.record.prefix = m.secret.substr(0, kTokenDisplayPrefix);
  m.record.user = std::string(user);
  m.record.name = options.name;
  m.record.readonly = options.readonly;
  m.record.cidr_whitelist = options.cidr_whitelist;
  m.record.created = clock_.Now();
  m.record.expires = m.record.created + lifetime;
  m.record.packages = options.packages;
  m.record.scopes = std::move(scopes);
  m.record.bypass_2fa = options.bypass_2fa;
  m.record.description = options.description;
  BULWARK_RETURN_IF_ERROR(store_.CreateToken(m.record));
  RecordEvent("token.created", user, remote_ip,
              StrCat(TokenDetail(m.record), ", expires ", absl::FormatTime(*m.record.expires)));
  return m;
}

absl::StatusOr<std::vector<TokenRecord>> AccountService::ListTokens(std::string_view user) {
  return store_.ListTokens(user);
}

absl::Status AccountService::RevokeToken(std::string_view user, std::string_view key_or_secret,
                                         std::string_view remote_ip) {
  for (std::string key : {std::string(key_or_secret), TokenKey(key_or_secret)}) {
    auto token = store_.GetToken(key);
    if (token.ok() && token->user == user) {
      BULWARK_RETURN_IF_ERROR(store_.DeleteToken(key));
      RecordEvent("token.revoked", user, remote_ip, TokenDetail(*token));
      return absl::OkStatus();
    }
    if (token.ok()) {
      // Keys are unguessable (SHA-512 of a secret), so saying so leaks nothing; and a refusal
      // is clearer (and logged as one) than pretending the token does not exist.
      return absl::PermissionDeniedError("this token belongs to another user");
    }
    if (!absl::IsNotFound(token.status())) return token.status();
  }
  return absl::NotFoundError("no such token");
}

absl::Status AccountService::RevokeSecret(std::string_view secret) {
  auto token = store_.GetToken(TokenKey(secret));
  if (!token.ok()) return absl::IsNotFound(token.status()) ? absl::OkStatus() : token.status();
  BULWARK_RETURN_IF_ERROR(store_.DeleteToken(token->key));
  RecordEvent("token.revoked", token->user, "", StrCat(TokenDetail(*token), ", by npm logout"));
  return absl::OkStatus();
}

absl::StatusOr<int> AccountService::ChangePassword(std::string_view user,
                                                   std::string_view old_password,
                                                   std::string_view new_password,
                                                   std::string_view otp,
                                                   std::string_view keep_token_key,
                                                   std::string_view remote_ip) {
  BULWARK_ASSIGN_OR_RETURN(UserRecord u, CheckPassword(user, old_password, remote_ip));
  BULWARK_RETURN_IF_ERROR(CheckSecondFactor(u.name, TfaAction::kAccountChange, otp, remote_ip));
  // Whoever knew the old password may have logged in with it: their session tokens go. Tokens
  // made on purpose with `npm token create` (CI) stay; the user reviews them in the list.
  BULWARK_ASSIGN_OR_RETURN(int revoked, SetPasswordAndRevoke(u, new_password, false,
                                                             keep_token_key, "password changed",
                                                             remote_ip));
  RecordEvent("password.changed", u.name, remote_ip,
              StrCat(revoked, " login session token(s) revoked"));
  return revoked;
}

absl::StatusOr<int> AccountService::SetPasswordAndRevoke(UserRecord& u,
                                                         std::string_view new_password,
                                                         bool revoke_all_tokens,
                                                         std::string_view keep_token_key,
                                                         std::string_view why,
                                                         std::string_view remote_ip) {
  absl::Status rules = CheckNewPassword(new_password, u.name);
  if (!rules.ok()) {
    RecordEvent("password.change_refused", u.name, remote_ip, std::string(rules.message()));
    return rules;
  }
  BULWARK_ASSIGN_OR_RETURN(u.password_hash, HashPassword(new_password, random_, options_.argon2));
  u.updated = clock_.Now();
  BULWARK_RETURN_IF_ERROR(store_.UpdateUser(u));
  int revoked = 0;
  BULWARK_ASSIGN_OR_RETURN(std::vector<TokenRecord> tokens, store_.ListTokens(u.name));
  for (const auto& t : tokens) {
    if (t.key == keep_token_key) continue;
    if (!revoke_all_tokens && t.name != kLoginTokenName && t.name != kWebLoginTokenName) continue;
    BULWARK_RETURN_IF_ERROR(store_.DeleteToken(t.key));
    RecordEvent("token.revoked", u.name, remote_ip, StrCat(TokenDetail(t), ", ", why));
    ++revoked;
  }
  return revoked;
}

absl::StatusOr<int> AccountService::ResetPassword(std::string_view user,
                                                  std::string_view new_password,
                                                  bool revoke_all_tokens,
                                                  std::string_view remote_ip) {
  BULWARK_ASSIGN_OR_RETURN(UserRecord u, store_.GetUser(user));
  BULWARK_ASSIGN_OR_RETURN(int revoked, SetPasswordAndRevoke(u, new_password, revoke_all_tokens,
                                                             "", "password reset", remote_ip));
  RecordEvent("password.reset", u.name, remote_ip, StrCat(revoked, " token(s) revoked"));
  return revoked;
}

absl::Status AccountService::ChangeEmail(std::string_view user, std::string_view email,
                                         std::string_view otp, std::string_view remote_ip) {
  BULWARK_RETURN_IF_ERROR(CheckEmail(email));
  BULWARK_ASSIGN_OR_RETURN(UserRecord u, store_.GetUser(user));
  if (u.email == email) return absl::OkStatus();
  BULWARK_RETURN_IF_ERROR(CheckSecondFactor(u.name, TfaAction::kAccountChange, otp, remote_ip));
  std::string old = u.email;
  u.email = std::string(email);
  u.email_verified = absl::InfinitePast();  // A new address is unproven (records.h).
  u.updated = clock_.Now();
  BULWARK_RETURN_IF_ERROR(store_.UpdateUser(u));
  RecordEvent("profile.email_changed", u.name, remote_ip, StrCat(old, " -> ", email));
  return absl::OkStatus();
}

absl::StatusOr<LoginSession> AccountService::StartWebLogin() {
  // Sweep expired sessions on the way; they hold nothing once expired.
  BULWARK_RETURN_IF_ERROR(store_.ExpireLoginSessions(clock_.Now() - options_.web_login_lifetime));
  LoginSession s;
  s.id = RandomId(random_, kSessionIdChars);
  s.created = clock_.Now();
  BULWARK_RETURN_IF_ERROR(store_.CreateLoginSession(s));
  return s;
}

absl::Status AccountService::CompleteWebLogin(std::string_view session_id, std::string_view user,
                                              std::string_view password, std::string_view otp,
                                              std::string_view remote_ip) {
  BULWARK_ASSIGN_OR_RETURN(LoginSession s, OpenWebLogin(session_id));
  BULWARK_ASSIGN_OR_RETURN(UserRecord u, CheckPassword(user, password, remote_ip));
  BULWARK_RETURN_IF_ERROR(CheckSecondFactor(u.name, TfaAction::kLogin, otp, remote_ip));
  return FinishWebLogin(s.id, u.name, remote_ip);
}

absl::StatusOr<LoginSession> AccountService::OpenWebLogin(std::string_view session_id) {
  BULWARK_ASSIGN_OR_RETURN(LoginSession s, store_.GetLoginSession(session_id));
  if (s.created + options_.web_login_lifetime <= clock_.Now()) {
    return absl::NotFoundError("login session expired");
  }
  if (!s.user.empty()) return absl::FailedPreconditionError("login session already completed");
  return s;
}

absl::Status AccountService::FinishWebLogin(std::string_view session_id, std::string_view user,
                                            std::string_view remote_ip) {
  BULWARK_ASSIGN_OR_RETURN(LoginSession s, OpenWebLogin(session_id));
  TokenOptions opts;
  opts.name = "npm login (web)";
  opts.login_session = true;
  BULWARK_ASSIGN_OR_RETURN(Minted m, CreateToken(user, opts, remote_ip));
  RecordEvent("login.success", user, remote_ip, "web login");
  s.user = std::string(user);
  s.secret = m.secret;
  return store_.UpdateLoginSession(s);
}

absl::StatusOr<std::optional<std::string>> AccountService::PollWebLogin(
    std::string_view session_id) {
  BULWARK_ASSIGN_OR_RETURN(LoginSession s, store_.GetLoginSession(session_id));
  if (s.created + options_.web_login_lifetime <= clock_.Now()) {
    BULWARK_RETURN_IF_ERROR(store_.DeleteLoginSession(session_id));
    return absl::NotFoundError("login session expired");
  }
  if (s.secret.empty()) return std::optional<std::string>();
  // Single use: the token is handed out once, then the session is forgotten.
  BULWARK_RETURN_IF_ERROR(store_.DeleteLoginSession(session_id));
  return std::optional<std::string>(s.secret);
}

bool IpInCidrs(std::string_view ip, const std::vector<std::string>& cidrs) {
  in_addr a;
  if (inet_pton(AF_INET, std::string(ip).c_str(), &a) != 1) return false;
  uint32_t addr = ntohl(a.s_addr);
  for (const auto& c : cidrs) {
    std::vector<std::string_view> parts = StrSplit(c, '/');
    in_addr net;
    int bits = 0;
    if (parts.size() != 2 || inet_pton(AF_INET, std::string(parts[0]).c_str(), &net) != 1 ||
        !SimpleAtoi(parts[1], &bits) || bits < 0 || bits > 32) {
      continue;
    }
    uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    if ((addr & mask) == (ntohl(net.s_addr) & mask)) return true;
  }
  return false;
}

}  // namespace bulwark
