#pragma once
// Where the token-leak partner endpoint's verification keys come from (docs/moderation.md):
// `moderation.partner_keys_file` (read at each refresh) or `moderation.partner_keys_url`
// (fetched over HTTP(S), cached; refreshed when an unknown key id arrives, at most once a
// minute, so a flood of bogus ids cannot make us hammer the key server).

#include <memory>

#include "bulwark/env/clock.h"
#include "security/partner_signature.h"
#include "server/scanning_config.h"

namespace bulwark {

// Null when neither a file nor a URL is configured.
std::unique_ptr<PartnerKeySource> NewPartnerKeySource(const ScanningConfig& config, Clock& clock);

}  // namespace bulwark
