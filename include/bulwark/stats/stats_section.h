#pragma once
// Registry statistics as named sections (`GET /-/bulwark/v1/stats`, `bulwark stats`). Each
// subsystem contributes a section by implementing StatsSection; server/ registers them in one
// place (App::Open). A section that fails reports {"error": ...} in its place and does not hide
// the others. docs/security.md §Statistics describes the sections and how to add one.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "bulwark/base/status.h"

namespace bulwark {

class StatsSection {
 public:
  virtual ~StatsSection() = default;
  // The key of the section in the report ("accounts", "advisories", "scanner", ...).
  virtual std::string name() const = 0;
  // The section's figures. Called on a worker thread; may read the stores.
  virtual absl::StatusOr<boost::json::object> Collect() = 0;
};

class StatsReport {
 public:
  void Add(std::unique_ptr<StatsSection> section) { sections_.push_back(std::move(section)); }

  // {"<name>": {...}, ...} in registration order.
  boost::json::object Collect() {
    boost::json::object out;
    for (const auto& s : sections_) {
      auto figures = s->Collect();
      if (figures.ok()) {
        out[s->name()] = std::move(*figures);
      } else {
        out[s->name()] = boost::json::object{{"error", std::string(figures.status().message())}};
      }
    }
    return out;
  }

 private:
  std::vector<std::unique_ptr<StatsSection>> sections_;
};

}  // namespace bulwark
