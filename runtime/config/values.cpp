#include "config/values.h"

#include <array>
#include <limits>

namespace hamirror::config {

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<std::int64_t> parse_whole_number(std::string_view text, std::string& problem) {
  text = trim(text);
  if (text.empty()) {
    problem = "is empty";
    return std::nullopt;
  }
  bool negative = false;
  if (text.front() == '-' || text.front() == '+') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      problem = "is not a whole number";
      return std::nullopt;
    }
    if (value > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10) {
      problem = "is too large";
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  if (text.empty()) {
    problem = "is not a whole number";
    return std::nullopt;
  }
  if (negative && value != 0) {
    problem = "is negative";
    return std::nullopt;
  }
  return value;
}

std::optional<bool> parse_on_off(std::string_view text) {
  if (text == "on") return true;
  if (text == "off") return false;
  return std::nullopt;
}

bool is_placeholder(std::string_view text) {
  // The sample's placeholders: "PROCESS_NAME" and every "..._TO_BE_DEFINED".
  constexpr std::array<std::string_view, 1> kSamplePlaceholders = {"PROCESS_NAME"};
  text = trim(text);
  for (const auto placeholder : kSamplePlaceholders) {
    if (text == placeholder) return true;
  }
  return text.find("TO_BE_DEFINED") != std::string_view::npos;
}

bool is_valid_node_name(std::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace hamirror::config
