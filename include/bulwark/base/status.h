#pragma once
// Status helpers used across Bulwark. Our code returns absl::Status / absl::StatusOr<T> with the
// canonical codes and throws nothing; see docs/design.md §Errors.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define BULWARK_STATUS_CONCAT_INNER_(a, b) a##b
#define BULWARK_STATUS_CONCAT_(a, b) BULWARK_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define BULWARK_RETURN_IF_ERROR(expr)               \
  do {                                              \
    ::absl::Status bulwark_status_ = (expr);        \
    if (!bulwark_status_.ok()) return bulwark_status_; \
  } while (0)

// `BULWARK_ASSIGN_OR_RETURN(auto x, Foo());` declares x from a StatusOr or returns its error.
#define BULWARK_ASSIGN_OR_RETURN(lhs, expr) \
  BULWARK_ASSIGN_OR_RETURN_IMPL_(BULWARK_STATUS_CONCAT_(bulwark_statusor_, __LINE__), lhs, expr)
#define BULWARK_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return std::move(tmp).status();       \
  lhs = std::move(tmp).value()
