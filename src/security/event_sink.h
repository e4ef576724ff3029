#pragma once
// Where the publish gate and moderation report security events (a token revoked because it
// leaked, a worm's token suspended) so they join the accounts' event log (security.md §Security
// events). server/ wires it to AccountService::RecordEvent; unset, nothing is recorded.

#include <functional>
#include <string>
#include <string_view>

namespace bulwark {

using SecurityEventSink = std::function<void(std::string_view kind, std::string_view user,
                                             std::string detail, std::string_view package)>;

}  // namespace bulwark
