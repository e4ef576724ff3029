#include "base/strings.h"
#include "accounts/account_service.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "accounts/tokens.h"
#include "base/hash.h"

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

}  // namespace

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

absl::StatusOr<UserRecord> AccountService::CreateUser(std::string_view name,
                                                      std::string_view email,
                                                      std::string_view password, bool admin) {
  BULWARK_RETURN_IF_ERROR(CheckUserName(name));
  BULWARK_RETURN_IF_ERROR(CheckEmail(email));
  BULWARK_RETURN_IF_ERROR(CheckNewPassword(password, name));
  UserRecord u;
  u.name = std::string(name);
  u.email = std::string(email);
  BULWARK_ASSIGN_OR_RETURN(u.password_hash, HashPassword(password, random_, options_.argon2));
  u.admin = admin;
  u.created = u.updated = clock_.Now();
  BULWARK_RETURN_IF_ERROR(store_.CreateUser(u));
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
  if (!s.ok()) throttled_.fetch_add(1, std::memory_order_relaxed);
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
    return absl::UnauthenticatedError("incorrect user name or password");
  }
  if (!VerifyPassword(password, user->password_hash)) {
    RecordFailure(password_throttle_, name, remote_ip);
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
    if (token->expires && *token->expires <= clock_.Now()) {
      result.rejected = "Access token expired or revoked. Please try logging in again.";
      return result;
    }
    if (!token->cidr_whitelist.empty() && !IpInCidrs(remote_ip, token->cidr_whitelist)) {
      result.rejected = "Access token is not allowed from this IP address.";
      return result;
    }
    auto user = store_.GetUser(token->user);
    if (!user.ok()) {
      if (!absl::IsNotFound(user.status())) return user.status();
      result.rejected = "Access token belongs to a deleted user.";
      return result;
    }
    result.identity = Identity{user->name, user->admin, token->readonly, token->key};
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
    result.identity = Identity{user->name, user->admin, false, ""};
    return result;
  }
  result.rejected = "Unsupported authorization scheme.";
  return result;
}

absl::StatusOr<AccountService::Minted> AccountService::CreateToken(std::string_view user,
                                                                   const TokenOptions& options) {
  for (const auto& c : options.cidr_whitelist) {
    std::vector<std::string_view> parts = StrSplit(c, '/');
    in_addr addr;
    int bits = 0;
    if (parts.size() != 2 || inet_pton(AF_INET, std::string(parts[0]).c_str(), &addr) != 1 ||
        !SimpleAtoi(parts[1], &bits) || bits < 0 || bits > 32) {
      return absl::InvalidArgumentError("invalid CIDR: " + c);
    }
  }
  absl::Duration lifetime = options.lifetime.value_or(options_.session_token_lifetime);
  if (lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("token lifetime must be positive");
  }
  if (lifetime > options_.max_token_lifetime) {
    return absl::InvalidArgumentError(
        StrCat("token lifetime must be at most ",
                     absl::ToInt64Hours(options_.max_token_lifetime) / 24, " days"));
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
  BULWARK_RETURN_IF_ERROR(store_.CreateToken(m.record));
  return m;
}

absl::StatusOr<std::vector<TokenRecord>> AccountService::ListTokens(std::string_view user) {
  return store_.ListTokens(user);
}

absl::Status AccountService::RevokeToken(std::string_view user, std::string_view key_or_secret) {
  for (std::string key : {std::string(key_or_secret), TokenKey(key_or_secret)}) {
    auto token = store_.GetToken(key);
    if (token.ok() && token->user == user) return store_.DeleteToken(key);
    if (!token.ok() && !absl::IsNotFound(token.status())) return token.status();
  }
  return absl::NotFoundError("no such token");
}

absl::Status AccountService::RevokeSecret(std::string_view secret) {
  return store_.DeleteToken(TokenKey(secret));
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
  return FinishWebLogin(s.id, u.name);
}

absl::StatusOr<LoginSession> AccountService::OpenWebLogin(std::string_view session_id) {
  BULWARK_ASSIGN_OR_RETURN(LoginSession s, store_.GetLoginSession(session_id));
  if (s.created + options_.web_login_lifetime <= clock_.Now()) {
    return absl::NotFoundError("login session expired");
  }
  if (!s.user.empty()) return absl::FailedPreconditionError("login session already completed");
  return s;
}

absl::Status AccountService::FinishWebLogin(std::string_view session_id, std::string_view user) {
  BULWARK_ASSIGN_OR_RETURN(LoginSession s, OpenWebLogin(session_id));
  TokenOptions opts;
  opts.name = "npm login (web)";
  BULWARK_ASSIGN_OR_RETURN(Minted m, CreateToken(user, opts));
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
