#include "twiml_redirect/outbound/provision_report.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <sstream>

namespace twiml_redirect::outbound {

std::string_view to_string(step_result result) {
  switch (result) {
    case step_result::unchanged: return "unchanged";
    case step_result::created: return "created";
    case step_result::updated: return "updated";
    case step_result::would_create: return "would create";
    case step_result::would_update: return "would update";
    case step_result::failed: return "failed";
  }
  return "?";
}

bool provision_report::has_permanent_failure() const {
  return std::any_of(failures.begin(), failures.end(), [](const call_failure& f) { return !f.transient; });
}

std::string provision_report::failure_summary() const {
  std::string text;
  for (const auto& f : failures) {
    if (!text.empty()) text += "; ";
    text += f.describe();
  }
  return text;
}

void provision_report::append(provision_report other) {
  std::move(other.rows.begin(), other.rows.end(), std::back_inserter(rows));
  std::move(other.failures.begin(), other.failures.end(), std::back_inserter(failures));
  std::move(other.warnings.begin(), other.warnings.end(), std::back_inserter(warnings));
  std::move(other.initialize_pending.begin(), other.initialize_pending.end(), std::back_inserter(initialize_pending));
}

std::string format_report(const provision_report& report) {
  const std::array<std::string, 6> header{"WHAT", "PHONE NUMBER", "NAME", "RESULT", "ID", "CHANGES"};
  std::vector<std::array<std::string, 6>> lines{header};
  for (const auto& row : report.rows) {
    std::string changes;
    for (const auto& change : row.changes) changes += (changes.empty() ? "" : ",") + change;
    lines.push_back({row.kind, row.phone_number, row.name.empty() ? "-" : row.name,
                     std::string(to_string(row.result)), row.id.empty() ? "-" : row.id, changes});
  }
  std::array<std::size_t, 6> width{};
  for (const auto& line : lines) {
    for (std::size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  }
  std::ostringstream out;
  for (const auto& line : lines) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size()) text += std::string(width[i] - line[i].size() + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
  }
  for (const auto& f : report.warnings) out << "warning: " << f.describe() << '\n';
  for (const auto& f : report.failures) out << "error: " << f.describe() << '\n';
  return out.str();
}

}  // namespace twiml_redirect::outbound
