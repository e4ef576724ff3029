#pragma once
// The stats sections of issue 9 (accounts and 2FA adoption, passwords, tokens, logins) and the
// advisory database's, registered by App::Open (docs/security.md §Statistics).

#include <memory>

#include "bulwark/env/clock.h"
#include "bulwark/stats/stats_section.h"
#include "bulwark/storage/advisory_store.h"
#include "bulwark/storage/metadata_store.h"
#include "bulwark/storage/security_store.h"
#include "jobs/high_impact.h"

namespace bulwark {

// "accounts": users and maintainers with 2FA, overall and of high-impact packages.
std::unique_ptr<StatsSection> NewAccountStats(MetadataStore& store, HighImpactIndex& high_impact);
// "security_events": password, token and login figures from the event log.
std::unique_ptr<StatsSection> NewEventStats(SecurityStore& events, absl::Duration retention);
// "advisories": total, created this year, by severity, malware.
std::unique_ptr<StatsSection> NewAdvisoryStats(AdvisoryStore& advisories, Clock& clock);

}  // namespace bulwark
