#include "config/diagnostics.h"

#include <algorithm>
#include <utility>

namespace hamirror::config {

std::string format_diagnostic(const Diagnostic& diagnostic) {
  std::string out = diagnostic.file;
  if (diagnostic.line > 0) {
    out += ':' + std::to_string(diagnostic.line);
    if (diagnostic.column > 0) out += ':' + std::to_string(diagnostic.column);
  }
  if (!out.empty()) out += ": ";
  out += diagnostic.severity == Severity::error ? "error: " : "warning: ";
  out += diagnostic.message;
  return out;
}

void Diagnostics::error(const Location& where, std::string subject, std::string message) {
  add({Severity::error, where.file, where.line, where.column, std::move(subject), std::move(message)});
}

void Diagnostics::warning(const Location& where, std::string subject, std::string message) {
  add({Severity::warning, where.file, where.line, where.column, std::move(subject), std::move(message)});
}

void Diagnostics::add(Diagnostic diagnostic) { items_.push_back(std::move(diagnostic)); }

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) {
    return d.severity == Severity::error;
  }));
}

std::size_t Diagnostics::warning_count() const { return items_.size() - error_count(); }

void Diagnostics::sort_by_position() {
  std::vector<std::string> file_order;
  for (const auto& item : items_) {
    if (std::find(file_order.begin(), file_order.end(), item.file) == file_order.end()) file_order.push_back(item.file);
  }
  const auto file_rank = [&](const std::string& file) {
    return std::find(file_order.begin(), file_order.end(), file) - file_order.begin();
  };
  std::stable_sort(items_.begin(), items_.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    const auto rank_a = file_rank(a.file);
    const auto rank_b = file_rank(b.file);
    if (rank_a != rank_b) return rank_a < rank_b;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
}

std::string Diagnostics::to_string() const {
  std::string out;
  for (const auto& item : items_) out += format_diagnostic(item) + '\n';
  return out;
}

}  // namespace hamirror::config
