// Reads one XML element's attributes into typed values, reporting every problem with
// the attribute's file:line:column, and — once done — warns about attributes it was
// never asked for (unknown to hamirror) and about unknown child elements.
//
// Each read_* leaves `out` untouched when the attribute is absent (the default stays)
// and when it is invalid (an error is reported, so the configuration is rejected).
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <pugixml.hpp>

#include "config/diagnostics.h"
#include "config/xml_source.h"

namespace hamirror::config {

class ElementReader {
 public:
  ElementReader(const XmlSource& source, pugi::xml_node element, Diagnostics& diagnostics);

  // The attribute's text, or nullopt when absent. With `required`, absence is an error.
  std::optional<std::string> read_text(const char* name, bool required = false);

  // A whole number in [min, max]; `unit` names it in messages ("milliseconds").
  bool read_number(const char* name, std::int64_t& out, std::int64_t min, std::int64_t max, const char* unit);
  bool read_int(const char* name, int& out, int min, int max, const char* unit);
  template <typename Duration>
  bool read_duration(const char* name, Duration& out, std::int64_t min, std::int64_t max, const char* unit) {
    std::int64_t value = out.count();
    if (!read_number(name, value, min, max, unit)) return false;
    out = Duration(value);
    return true;
  }

  bool read_on_off(const char* name, bool& out);

  // One of a fixed set of words.
  template <typename Enum>
  bool read_choice(const char* name, Enum& out, std::initializer_list<std::pair<const char*, Enum>> choices) {
    const auto text = read_text(name);
    if (!text) return true;
    std::string accepted;
    for (const auto& [word, value] : choices) {
      if (*text == word) {
        out = value;
        return true;
      }
      accepted += (accepted.empty() ? "" : ", ") + std::string(word);
    }
    error_at_value(name, "is not one of: " + accepted);
    return false;
  }

  // An error about the attribute's value, at the value's position, naming the element,
  // the attribute and what was written: <heart> timeout="-5": <problem>.
  void error_at_value(const char* name, const std::string& problem);

  // Warns about every attribute not read so far and about child elements whose names
  // are not in `known_children`; also reports text where none belongs.
  void finish(std::initializer_list<const char*> known_children = {});

  pugi::xml_node element() const { return element_; }
  Location location() const { return source_.location_of(element_); }
  std::string tag() const { return "<" + std::string(element_.name()) + ">"; }

 private:
  pugi::xml_attribute find(const char* name);

  const XmlSource& source_;
  pugi::xml_node element_;
  Diagnostics& diagnostics_;
  std::set<std::string> asked_;
};

// The error ElementReader::error_at_value reports, for code that holds no reader.
void report_value_error(const XmlSource& source, pugi::xml_node element, const char* name, const std::string& problem,
                        Diagnostics& diagnostics);

// The single child element called `name`, or an empty node. A second one is an error.
pugi::xml_node single_child(const XmlSource& source, pugi::xml_node parent, const char* name, Diagnostics& diagnostics);

}  // namespace hamirror::config
