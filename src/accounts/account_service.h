#pragma once
// Accounts: users, passwords, tokens and web-login sessions, over the MetadataStore seam.
// This is where 2FA, throttling and the stronger protections of later issues plug in: every
// credential check goes through Authenticate / CheckPassword.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/base/status.h"
#include "bulwark/env/clock.h"
#include "bulwark/env/random.h"
#include "bulwark/storage/metadata_store.h"
#include "accounts/passwords.h"

namespace bulwark {

// Who made a request.
struct Identity {
  std::string user;
  bool admin = false;
  bool readonly = false;      // Token may only read.
  std::string token_key;      // Empty for Basic (password) authentication.
};

struct TokenOptions {
  std::string name;
  bool readonly = false;
  std::vector<std::string> cidr_whitelist;  // IPv4 CIDRs; empty: any address.
  std::optional<absl::Duration> lifetime;   // Unset: the service default.
};

struct AccountOptions {
  Argon2Params argon2;
  absl::Duration session_token_lifetime = absl::Hours(24 * 30);
  absl::Duration max_token_lifetime = absl::Hours(24 * 365);
  absl::Duration web_login_lifetime = absl::Minutes(10);
};

// The outcome of reading an Authorization header.
struct AuthResult {
  std::optional<Identity> identity;  // Unset: anonymous.
  // Set when a credential was presented but is not valid (expired, revoked, wrong password);
  // reads treat the request as anonymous and pass this on as an npm-notice.
  std::string rejected;
};

class AccountService {
 public:
  AccountService(MetadataStore& store, Clock& clock, Random& random, AccountOptions options = {});

  // InvalidArgument for a bad name, email or password; AlreadyExists when taken.
  absl::StatusOr<UserRecord> CreateUser(std::string_view name, std::string_view email,
                                        std::string_view password, bool admin = false);
  // Unauthenticated when the user does not exist or the password is wrong (same message).
  absl::StatusOr<UserRecord> CheckPassword(std::string_view name, std::string_view password);
  absl::StatusOr<UserRecord> GetUser(std::string_view name);

  // Reads "Bearer <token>" or "Basic <b64 user:pass>". Never fails for a bad credential (see
  // AuthResult::rejected); fails only when storage does.
  absl::StatusOr<AuthResult> Authenticate(std::string_view authorization,
                                          std::string_view remote_ip);

  // Mints a token; the secret is returned once and never stored.
  struct Minted {
    std::string secret;
    TokenRecord record;
  };
  absl::StatusOr<Minted> CreateToken(std::string_view user, const TokenOptions& options);
  absl::StatusOr<std::vector<TokenRecord>> ListTokens(std::string_view user);
  // `key_or_secret` is a token key or a full secret; NotFound unless it is one of `user`'s.
  absl::Status RevokeToken(std::string_view user, std::string_view key_or_secret);
  // Logout: revokes the token whose secret this is; OK when unknown (the path proves nothing
  // more than possession).
  absl::Status RevokeSecret(std::string_view secret);

  // Web login (`npm login`): a session the browser completes and the CLI polls.
  absl::StatusOr<LoginSession> StartWebLogin();
  // Browser side: checks the password and mints the CLI's token into the session.
  absl::Status CompleteWebLogin(std::string_view session_id, std::string_view user,
                                std::string_view password);
  // CLI side: nullopt while pending; the token once done (the session is then deleted);
  // NotFound when unknown or expired.
  absl::StatusOr<std::optional<std::string>> PollWebLogin(std::string_view session_id);

  static absl::Status CheckUserName(std::string_view name);
  static absl::Status CheckEmail(std::string_view email);

 private:
  MetadataStore& store_;
  Clock& clock_;
  Random& random_;
  const AccountOptions options_;
};

// True when IPv4 `ip` is inside any of `cidrs` ("10.0.0.0/8"). Unparseable entries match nothing.
bool IpInCidrs(std::string_view ip, const std::vector<std::string>& cidrs);

}  // namespace bulwark
