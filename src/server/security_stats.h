#pragma once
// The stats sections of issue 9 (accounts and 2FA adoption, passwords, tokens, logins) and the
// advisory database's, registered by App::Open (docs/security.md §Statistics).

#include <memory>

#include "bulwark/env/clock.h"
#include "bulwark/stats/stats_section.h"
#include "bulwark/storage/advisory_store.h"
#include "bulwark/storage/domain_store.h"
#include "bulwark/storage/email_store.h"
#include "bulwark/storage/metadata_store.h"
#include "bulwark/storage/sandbox_store.h"
#include "bulwark/storage/security_store.h"
#include "bulwark/storage/webauthn_store.h"
#include "jobs/high_impact.h"
#include "security/moderation.h"

namespace bulwark {

// "accounts": users and maintainers with 2FA, overall and of high-impact packages.
// `keys` (may be null): accounts with security keys only count as 2FA in auth-and-writes mode.
std::unique_ptr<StatsSection> NewAccountStats(MetadataStore& store, HighImpactIndex& high_impact,
                                              WebAuthnStore* keys = nullptr);
// "security_events": password, token and login figures from the event log.
std::unique_ptr<StatsSection> NewEventStats(SecurityStore& events, absl::Duration retention);
// "advisories": total, created this year, by severity, malware.
std::unique_ptr<StatsSection> NewAdvisoryStats(AdvisoryStore& advisories, Clock& clock);
// Issue 4's figures: versions scanned, held, rejected, removed; tokens revoked for leaks;
// reports received (ModerationService::Stats, docs/moderation.md).
std::unique_ptr<StatsSection> NewModerationStats(ModerationService& moderation);
// "email_domains": accounts with flagged email domains, by reason; domains checked and failing
// (docs/email-domains.md).
std::unique_ptr<StatsSection> NewEmailDomainStats(DomainStore& domains);
// "email" (docs/email.md): login verifications sent/passed/failed, password resets sent and
// blocked (flagged email domain), addresses verified, recovery requests, the mail queue.
// `mail` may be null (mail not configured: event figures only).
std::unique_ptr<StatsSection> NewEmailStats(SecurityStore& events, EmailStore* mail);
// "sandbox": run-time reports produced, flagged malicious, suspicious, versions quarantined,
// runs queued (docs/sandbox.md).
std::unique_ptr<StatsSection> NewSandboxStats(SandboxStore& reports);

}  // namespace bulwark
