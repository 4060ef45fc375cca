// Helpers for the configuration tests: files of tests/config/data and the shipped
// examples, and diagnostics as printed lines.
#pragma once

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "config/diagnostics.h"

namespace hamirror::config::test {

inline std::string data_path(const std::string& name) { return std::string(HAMIRROR_CONFIG_TEST_DATA) + "/" + name; }
inline std::string example_path(const std::string& name) { return std::string(HAMIRROR_CONFIG_EXAMPLES) + "/" + name; }

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every diagnostic as `hamirror confcheck` prints it.
inline std::vector<std::string> printed(const Diagnostics& diagnostics) {
  std::vector<std::string> out;
  for (const auto& item : diagnostics.items()) out.push_back(format_diagnostic(item));
  return out;
}

inline std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace hamirror::config::test
