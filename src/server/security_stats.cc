#include "server/security_stats.h"

#include <set>

#include "base/json.h"
#include "base/strings.h"

namespace bulwark {
namespace {

// A share in [0, 1] rounded to 4 places; null when there is nothing to divide by.
json::value Share(int64_t part, int64_t whole) {
  if (whole <= 0) return nullptr;
  return static_cast<double>(static_cast<int64_t>(10000.0 * part / whole + 0.5)) / 10000.0;
}

class AccountStats final : public StatsSection {
 public:
  AccountStats(MetadataStore& store, HighImpactIndex& high_impact, WebAuthnStore* keys)
      : store_(store), high_impact_(high_impact), keys_(keys) {}
  std::string name() const override { return "accounts"; }

  absl::StatusOr<json::object> Collect() override {
    BULWARK_ASSIGN_OR_RETURN(std::vector<UserRecord> users, store_.ListUsers());
    std::set<std::string> with_2fa, writes_mode;
    for (const auto& u : users) {
      auto tfa = store_.GetTfa(u.name);
      if (!tfa.ok() && !absl::IsNotFound(tfa.status())) return tfa.status();
      if (tfa.ok() && !tfa->pending) {
        with_2fa.insert(u.name);
        if (tfa->mode == TfaMode::kAuthAndWrites) writes_mode.insert(u.name);
        continue;
      }
      // Security keys alone are 2FA in auth-and-writes mode (security.md §Key-only accounts).
      if (keys_) {
        BULWARK_ASSIGN_OR_RETURN(int64_t n, keys_->CountKeys(u.name));
        if (n > 0) {
          with_2fa.insert(u.name);
          writes_mode.insert(u.name);
        }
      }
    }
    BULWARK_ASSIGN_OR_RETURN(std::vector<PackageSummary> packages, store_.ListPackages());
    auto impact = high_impact_.snapshot();
    std::set<std::string> maintainers, impact_maintainers;
    int64_t impact_packages = 0;
    for (const auto& p : packages) {
      const bool high = impact->count(p.name) > 0;
      impact_packages += high;
      for (const auto& m : p.maintainers) {
        maintainers.insert(m);
        if (high) impact_maintainers.insert(m);
      }
    }
    auto count_in = [](const std::set<std::string>& who, const std::set<std::string>& in) {
      int64_t n = 0;
      for (const auto& w : who) n += in.count(w);
      return n;
    };
    const int64_t m2 = count_in(maintainers, with_2fa);
    const int64_t hi2 = count_in(impact_maintainers, writes_mode);
    const int64_t nusers = static_cast<int64_t>(users.size());
    const int64_t nmaint = static_cast<int64_t>(maintainers.size());
    const int64_t nimpact = static_cast<int64_t>(impact_maintainers.size());
    return json::object{
        {"users", nusers},
        {"users_with_2fa", static_cast<int64_t>(with_2fa.size())},
        {"users_with_2fa_share", Share(static_cast<int64_t>(with_2fa.size()), nusers)},
        {"users_auth_and_writes", static_cast<int64_t>(writes_mode.size())},
        {"maintainers", nmaint},
        {"maintainers_with_2fa", m2},
        {"maintainers_with_2fa_share", Share(m2, nmaint)},
        {"high_impact_packages", impact_packages},
        {"high_impact_maintainers", nimpact},
        {"high_impact_maintainers_auth_and_writes", hi2},
        {"high_impact_maintainers_auth_and_writes_share", Share(hi2, nimpact)},
    };
  }

 private:
  MetadataStore& store_;
  HighImpactIndex& high_impact_;
  WebAuthnStore* keys_;
};

class EventStats final : public StatsSection {
 public:
  EventStats(SecurityStore& events, absl::Duration retention)
      : events_(events), retention_(retention) {}
  std::string name() const override { return "security_events"; }

  absl::StatusOr<json::object> Collect() override {
    BULWARK_ASSIGN_OR_RETURN(auto c, events_.CountEvents(absl::InfinitePast()));
    auto n = [&](const char* kind) -> int64_t {
      auto it = c.find(kind);
      return it == c.end() ? 0 : it->second;
    };
    const int64_t created = n("account.created"), breached = n("password.breached");
    json::object by_kind;
    for (const auto& [k, v] : c) by_kind[k] = v;
    return json::object{
        {"window_days", absl::ToInt64Hours(retention_) / 24},
        {"new_accounts", created},
        {"new_account_passwords_refused_as_breached", breached},
        {"new_account_passwords_refused_as_breached_share", Share(breached, breached + created)},
        {"password_changes", n("password.changed")},
        {"tokens_created", n("token.created")},
        {"tokens_revoked", n("token.revoked")},
        {"logins", n("login.success")},
        {"login_failures", n("login.failure")},
        {"logins_blocked_by_throttling", n("login.throttled")},
        {"otp_checks_blocked_by_throttling", n("otp.throttled")},
        {"recovery_codes_used", n("recovery_code.used")},
        {"writes_blocked", n("write.blocked")},
        {"by_kind", std::move(by_kind)},
    };
  }

 private:
  SecurityStore& events_;
  const absl::Duration retention_;
};

class AdvisoryStats final : public StatsSection {
 public:
  AdvisoryStats(AdvisoryStore& advisories, Clock& clock) : advisories_(advisories), clock_(clock) {}
  std::string name() const override { return "advisories"; }

  absl::StatusOr<json::object> Collect() override {
    BULWARK_ASSIGN_OR_RETURN(AdvisoryCounts counts, advisories_.Count());
    // "Created this year": the OSV `published` date (RFC 3339, so its first four characters
    // are the year), of advisories not withdrawn.
    const std::string year = absl::FormatTime("%Y", clock_.Now(), absl::UTCTimeZone());
    BULWARK_ASSIGN_OR_RETURN(std::vector<AdvisoryRecord> all, advisories_.ListAll());
    int64_t this_year = 0;
    for (const auto& a : all) {
      if (a.withdrawn) continue;
      auto doc = ParseJson(a.json);
      if (!doc.ok() || !doc->is_object()) continue;
      auto published = GetString(doc->get_object(), "published");
      if (published && StartsWith(*published, year)) ++this_year;
    }
    json::object severity;
    for (const auto& [k, v] : counts.by_severity) severity[k] = v;
    return json::object{{"total", counts.total},
                        {"withdrawn", counts.withdrawn},
                        {"active", counts.total - counts.withdrawn},
                        {"created_this_year", this_year},
                        {"year", year},
                        {"by_severity", std::move(severity)},
                        {"malware", counts.malware}};
  }

 private:
  AdvisoryStore& advisories_;
  Clock& clock_;
};

}  // namespace

std::unique_ptr<StatsSection> NewAccountStats(MetadataStore& store, HighImpactIndex& high_impact,
                                              WebAuthnStore* keys) {
  return std::make_unique<AccountStats>(store, high_impact, keys);
}
std::unique_ptr<StatsSection> NewEventStats(SecurityStore& events, absl::Duration retention) {
  return std::make_unique<EventStats>(events, retention);
}
std::unique_ptr<StatsSection> NewAdvisoryStats(AdvisoryStore& advisories, Clock& clock) {
  return std::make_unique<AdvisoryStats>(advisories, clock);
}

namespace {

class ModerationStats final : public StatsSection {
 public:
  explicit ModerationStats(ModerationService& moderation) : moderation_(moderation) {}
  std::string name() const override { return "moderation"; }
  absl::StatusOr<json::object> Collect() override { return moderation_.Stats(); }

 private:
  ModerationService& moderation_;
};

class SandboxStats final : public StatsSection {
 public:
  explicit SandboxStats(SandboxStore& reports) : reports_(reports) {}
  std::string name() const override { return "sandbox"; }
  absl::StatusOr<json::object> Collect() override {
    BULWARK_ASSIGN_OR_RETURN(SandboxCounts c, reports_.Counts());
    return json::object{{"reports", c.reports},       {"flagged", c.flagged},
                        {"suspicious", c.suspicious}, {"quarantined", c.quarantined},
                        {"queued", c.queued}};
  }

 private:
  SandboxStore& reports_;
};

}  // namespace

std::unique_ptr<StatsSection> NewModerationStats(ModerationService& moderation) {
  return std::make_unique<ModerationStats>(moderation);
}

std::unique_ptr<StatsSection> NewSandboxStats(SandboxStore& reports) {
  return std::make_unique<SandboxStats>(reports);
}

}  // namespace bulwark
