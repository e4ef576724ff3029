// The "email" stats section (docs/email.md §Statistics): figures from the security event log,
// which outlives restarts and is shared by `bulwark stats` and the server, plus the mail queue.

#include "server/security_stats.h"

namespace bulwark {
namespace {

namespace json = boost::json;

class EmailStats final : public StatsSection {
 public:
  EmailStats(SecurityStore& events, EmailStore* mail) : events_(events), mail_(mail) {}
  std::string name() const override { return "email"; }

  absl::StatusOr<json::object> Collect() override {
    BULWARK_ASSIGN_OR_RETURN(auto c, events_.CountEvents(absl::InfinitePast()));
    auto n = [&](const char* kind) -> int64_t {
      auto it = c.find(kind);
      return it == c.end() ? 0 : it->second;
    };
    json::object out{
        {"login_verifications_sent", n("login.verification_sent")},
        {"login_verifications_passed", n("login.verification_passed")},
        {"login_verifications_failed", n("login.verification_failed")},
        {"password_resets_sent", n("password_reset.sent")},
        {"password_resets_blocked", n("password_reset.blocked")},
        {"password_resets_completed", n("password.reset")},
        {"verification_links_sent", n("email.verification_sent")},
        {"addresses_verified", n("email.verified")},
        {"recovery_requests", n("recovery.requested")},
        {"recovery_requests_approved", n("recovery.approved")},
    };
    if (mail_) {
      BULWARK_ASSIGN_OR_RETURN(MailCounts m, mail_->CountMail());
      out["mail_queued"] = m.queued;
      out["mail_sent"] = m.sent;
      out["mail_failed"] = m.failed;
    }
    return out;
  }

 private:
  SecurityStore& events_;
  EmailStore* const mail_;
};

}  // namespace

std::unique_ptr<StatsSection> NewEmailStats(SecurityStore& events, EmailStore* mail) {
  return std::make_unique<EmailStats>(events, mail);
}

}  // namespace bulwark
