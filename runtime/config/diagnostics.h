// What a configuration check found: errors and warnings, each with its place in a file.
//
// Printed gcc-style, one per line ("userconfig.xml:7:26: error: ..."), so editors and
// terminals jump to the spot. Lines and columns count from 1; 0 means unknown, and the
// unknown parts are left out of the printed form ("node.toml: error: ...").
// Columns count characters (UTF-8 code points), not bytes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace hamirror::config {

enum class Severity { error, warning };

struct Diagnostic {
  Severity severity = Severity::error;
  std::string file;
  int line = 0;
  int column = 0;
  std::string subject;  // the element, attribute or key concerned ("heart/timeout"), may be empty
  std::string message;
};

// "file:line:column: error: message"; the parts that are unknown are left out.
std::string format_diagnostic(const Diagnostic& diagnostic);

// A place in a file: where a diagnostic points.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

// The findings of one check, in the order they were found.
class Diagnostics {
 public:
  void error(const Location& where, std::string subject, std::string message);
  void warning(const Location& where, std::string subject, std::string message);
  void add(Diagnostic diagnostic);
  void append(const Diagnostics& other);

  const std::vector<Diagnostic>& items() const { return items_; }
  std::size_t error_count() const;
  std::size_t warning_count() const;
  bool has_errors() const { return error_count() > 0; }

  // Orders the diagnostics of each file by position, keeping the files in the order
  // they first appear; diagnostics about a whole file (line 0) come first.
  void sort_by_position();

  // Every diagnostic formatted, one per line (each line ends with '\n').
  std::string to_string() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace hamirror::config
