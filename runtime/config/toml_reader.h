// Reads one TOML table's keys into typed values, reporting each problem with the
// value's file:line:column, and warning — once done — about keys never asked for.
// Like ElementReader for XML: `out` is left untouched when a key is absent or invalid.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "config/diagnostics.h"

namespace hamirror::config {

class TomlReader {
 public:
  // `path` names the table in messages ("node", "networks.default"); `table` may be
  // null for a missing table, then every read finds nothing.
  TomlReader(const std::string& file, std::string path, const toml::table* table, Diagnostics& diagnostics);

  // A string; with `required`, absence is an error at the table's header.
  std::optional<std::string> read_string(const char* key, bool required);
  bool read_port(const char* key, std::uint16_t& out);
  // true / false; nullopt when absent or not a boolean (the latter reported).
  std::optional<bool> read_bool(const char* key);
  const toml::array* read_array(const char* key);
  // A sub-table; with `required`, absence is an error.
  const toml::table* read_table(const char* key, bool required);

  // An error about the key's value, at the value's position: "[node] key ...".
  void error_at(const char* key, const std::string& problem);
  void finish();  // warns about keys never asked for

  Location location() const;  // the table's header, or line 0 when unknown
  int line_of(const char* key) const;  // the key's value, or 0 when absent
  Location location_of(const toml::node& node) const;
  const std::string& file() const { return file_; }

 private:
  std::string label() const;
  std::string subject(std::string_view key) const;  // "node.name", for Diagnostic::subject  // "[node]", or "the top level"
  const toml::node* find(const char* key);
  void type_error(const char* key, const toml::node& node, const char* expected);

  std::string file_;
  std::string path_;
  const toml::table* table_;
  Diagnostics& diagnostics_;
  std::set<std::string> asked_;
};

}  // namespace hamirror::config
