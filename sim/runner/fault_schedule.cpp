#include "sim/runner/fault_schedule.h"

#include <charconv>
#include <optional>

namespace hamirror::sim::runner {

namespace {

// Bounds that keep a parsed schedule within what the runner can inject.
constexpr std::int64_t kMaxTimeMs = 86'400'000;  // a day, the runner's longest --duration
constexpr std::uint64_t kMaxFreeBytes = std::uint64_t{1} << 40;

// "12.340s" from 12340 ms.
std::string seconds(std::int64_t ms) {
  std::string fraction = std::to_string(ms % 1000);
  fraction.insert(0, 3 - fraction.size(), '0');
  return std::to_string(ms / 1000) + "." + fraction + "s";
}

template <typename T>
std::optional<T> number(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "12.34s" or "12s" to milliseconds; at most three decimals.
std::optional<std::int64_t> parse_seconds(std::string_view text) {
  if (!text.ends_with('s')) return std::nullopt;
  text.remove_suffix(1);
  const auto dot = text.find('.');
  const auto whole = number<std::int64_t>(text.substr(0, dot));
  if (!whole || *whole < 0 || *whole > kMaxTimeMs / 1000) return std::nullopt;
  std::int64_t ms = *whole * 1000;
  if (dot != std::string_view::npos) {
    std::string_view fraction = text.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 3 || fraction.front() == '-' || fraction.front() == '+') return std::nullopt;
    const auto digits = number<std::int64_t>(fraction);
    if (!digits) return std::nullopt;
    std::int64_t scale = 1;
    for (std::size_t i = fraction.size(); i < 3; ++i) scale *= 10;
    ms += *digits * scale;
  }
  return ms;
}

// A number followed by `suffix` ("5%", "20us"), at most `max`.
template <typename T>
std::optional<T> parse_suffixed(std::string_view text, std::string_view suffix, T max) {
  if (!text.ends_with(suffix)) return std::nullopt;
  text.remove_suffix(suffix.size());
  const auto value = number<T>(text);
  if (!value || *value < 0 || *value > max) return std::nullopt;
  return value;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t end = i;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') ++end;
    if (end > i) out.push_back(line.substr(i, end - i));
    i = end;
  }
  return out;
}

// One key=value parameter of the kind's; "" when it parsed, else what is wrong.
std::string parse_parameter(std::string_view word, ScheduledFault& fault) {
  const auto equals = word.find('=');
  if (equals == std::string_view::npos) return "expected key=value, got '" + std::string(word) + "'";
  const std::string_view key = word.substr(0, equals);
  const std::string_view value = word.substr(equals + 1);
  const std::string bad = "bad " + std::string(key) + " '" + std::string(value) + "'";
  constexpr std::int64_t kMaxLatencyUs = 60'000'000;
  if (fault.kind == FaultKind::link_chaos) {
    LinkChaos& link = fault.link;
    if (key == "latency") {
      const auto dots = value.find("..");
      if (dots == std::string_view::npos) return bad + " (want MIN..MEANus)";
      const auto low = number<std::int64_t>(value.substr(0, dots));
      const auto high = parse_suffixed<std::int64_t>(value.substr(dots + 2), "us", kMaxLatencyUs);
      if (!low || !high || *low < 0 || *low > *high) return bad + " (want MIN..MEANus, MIN <= MEAN)";
      link.latency_min_us = *low;
      link.latency_mean_us = *high;
      return "";
    }
    if (key == "jitter") {
      const auto us = parse_suffixed<std::int64_t>(value, "us", kMaxLatencyUs);
      if (!us) return bad;
      link.jitter_us = *us;
      return "";
    }
    std::uint32_t* field = key == "loss" ? &link.loss_pct : key == "dup" ? &link.duplicate_pct
                           : key == "reorder"                           ? &link.reorder_pct
                                                                        : nullptr;
    if (field == nullptr) return "unknown parameter '" + std::string(key) + "' for link_chaos";
    const auto pct = parse_suffixed<std::uint32_t>(value, "%", 100);
    if (!pct) return bad + " (want 0..100%)";
    *field = *pct;
    return "";
  }
  if (fault.kind == FaultKind::disk_eio && key == "p") {
    const auto per_mille = parse_suffixed<std::uint32_t>(value, "/1000", 1000);
    if (!per_mille) return bad + " (want N/1000)";
    fault.eio_per_mille = *per_mille;
    return "";
  }
  if (fault.kind == FaultKind::disk_enospc && key == "free") {
    const auto bytes = number<std::uint64_t>(value);
    if (!bytes || *bytes > kMaxFreeBytes) return bad;
    fault.free_bytes = *bytes;
    return "";
  }
  return "unknown parameter '" + std::string(key) + "' for " + std::string(fault_kind_name(fault.kind));
}

// One fault from its words; "" when it parsed, else what is wrong.
std::string parse_fault(const std::vector<std::string_view>& w, ScheduledFault& fault) {
  std::size_t i = 0;
  if (!w[i].starts_with("t=")) return "expected t=SECONDSs first, got '" + std::string(w[i]) + "'";
  const auto at = parse_seconds(w[i].substr(2));
  if (!at) return "bad time '" + std::string(w[i]) + "'";
  fault.at_ms = *at;
  if (++i == w.size()) return "a fault kind must follow the time";
  const auto kind = fault_kind_from_name(w[i]);
  if (!kind) return "unknown fault kind '" + std::string(w[i]) + "'";
  fault.kind = *kind;
  ++i;
  if (fault_names_node(fault.kind)) {
    if (i == w.size() || (w[i] != "node1" && w[i] != "node2")) return std::string(w[i - 1]) + " needs node1 or node2";
    fault.node = std::string(w[i++]);
  }
  if (fault_has_duration(fault.kind)) {
    if (i + 1 >= w.size() || w[i] != "for") return std::string(fault_kind_name(fault.kind)) + " needs 'for SECONDSs'";
    const auto duration = parse_seconds(w[i + 1]);
    if (!duration) return "bad duration '" + std::string(w[i + 1]) + "'";
    fault.duration_ms = *duration;
    i += 2;
  }
  for (; i < w.size(); ++i) {
    const std::string problem = parse_parameter(w[i], fault);
    if (!problem.empty()) return problem;
  }
  return "";
}

}  // namespace

bool fault_names_node(FaultKind kind) { return kind != FaultKind::link_chaos && kind != FaultKind::witness_down; }

bool fault_has_duration(FaultKind kind) {
  return kind != FaultKind::admin_swap && kind != FaultKind::admin_prim && kind != FaultKind::admin_restart;
}

std::string format_fault(const ScheduledFault& f) {
  std::string text = "t=" + seconds(f.at_ms) + " " + std::string(fault_kind_name(f.kind));
  if (fault_names_node(f.kind)) text += " " + f.node;
  if (fault_has_duration(f.kind)) text += " for " + seconds(f.duration_ms);
  switch (f.kind) {
    case FaultKind::link_chaos:
      text += " latency=" + std::to_string(f.link.latency_min_us) + ".." + std::to_string(f.link.latency_mean_us) +
              "us jitter=" + std::to_string(f.link.jitter_us) + "us loss=" + std::to_string(f.link.loss_pct) +
              "% dup=" + std::to_string(f.link.duplicate_pct) + "% reorder=" + std::to_string(f.link.reorder_pct) + "%";
      break;
    case FaultKind::disk_eio: text += " p=" + std::to_string(f.eio_per_mille) + "/1000"; break;
    case FaultKind::disk_enospc: text += " free=" + std::to_string(f.free_bytes); break;
    default: break;
  }
  return text;
}

std::string format_schedule(const FaultSchedule& schedule) {
  std::string text;
  for (const ScheduledFault& fault : schedule) text += format_fault(fault) + "\n";
  return text;
}

std::string format_schedule_inline(const FaultSchedule& schedule) {
  std::string text;
  for (const ScheduledFault& fault : schedule) text += (text.empty() ? "" : "; ") + format_fault(fault);
  return text;
}

ParsedSchedule parse_schedule(std::string_view text) {
  ParsedSchedule parsed;
  std::size_t entry = 0;
  while (!text.empty()) {
    const auto end = text.find_first_of("\n;");
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++entry;
    const auto w = words(line);
    if (w.empty() || w.front().starts_with('#')) continue;
    ScheduledFault fault;
    const std::string problem = parse_fault(w, fault);
    if (!problem.empty()) {
      parsed.error = "fault schedule, entry " + std::to_string(entry) + " ('" + std::string(line) + "'): " + problem;
      parsed.schedule.clear();
      return parsed;
    }
    parsed.schedule.push_back(fault);
  }
  return parsed;
}

}  // namespace hamirror::sim::runner
