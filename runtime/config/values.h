// Text-to-value rules shared by both configuration files. Strict on purpose: a value
// the user wrote is either understood exactly or reported, never replaced by a default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hamirror::config {

// Decimal digits only (surrounding spaces allowed). On failure returns nullopt and sets
// `problem` ("is negative", "is not a whole number", "is too large").
std::optional<std::int64_t> parse_whole_number(std::string_view text, std::string& problem);

// "on" / "off" (SafeKit's spelling), nullopt for anything else.
std::optional<bool> parse_on_off(std::string_view text);

// A placeholder left from SafeKit's sample (PROCESS_NAME, VIRTUAL_TO_BE_DEFINED, ...),
// which must be replaced before the module can run.
bool is_placeholder(std::string_view text);

// A node name: letters, digits, '.', '_' and '-', 1 to 63 characters.
bool is_valid_node_name(std::string_view text);

std::string_view trim(std::string_view text);

}  // namespace hamirror::config
