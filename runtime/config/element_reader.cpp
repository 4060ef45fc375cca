#include "config/element_reader.h"

#include <cstring>

#include "config/values.h"

namespace hamirror::config {

ElementReader::ElementReader(const XmlSource& source, pugi::xml_node element, Diagnostics& diagnostics)
    : source_(source), element_(element), diagnostics_(diagnostics) {
  // pugixml keeps a repeated attribute; XML forbids it, and which one wins is a guess.
  std::set<std::string> seen;
  for (const auto attribute : element_.attributes()) {
    if (!seen.insert(attribute.name()).second) {
      diagnostics_.error(source_.location_of_name(attribute), element_.name() + std::string("/") + attribute.name(),
                         tag() + " has attribute " + attribute.name() + " twice");
    }
  }
}

pugi::xml_attribute ElementReader::find(const char* name) {
  asked_.insert(name);
  return element_.attribute(name);
}

std::optional<std::string> ElementReader::read_text(const char* name, bool required) {
  const auto attribute = find(name);
  if (!attribute) {
    if (required) {
      diagnostics_.error(location(), element_.name() + std::string("/") + name,
                         tag() + " needs the attribute " + name + "=\"...\"");
    }
    return std::nullopt;
  }
  return std::string(attribute.value());
}

void ElementReader::error_at_value(const char* name, const std::string& problem) {
  report_value_error(source_, element_, name, problem, diagnostics_);
}

void report_value_error(const XmlSource& source, pugi::xml_node element, const char* name, const std::string& problem,
                        Diagnostics& diagnostics) {
  const auto attribute = element.attribute(name);
  diagnostics.error(source.location_of_value(attribute), element.name() + std::string("/") + name,
                    "<" + std::string(element.name()) + "> " + name + "=\"" + attribute.value() + "\" " + problem);
}

bool ElementReader::read_number(const char* name, std::int64_t& out, std::int64_t min, std::int64_t max,
                                const char* unit) {
  const auto text = read_text(name);
  if (!text) return true;
  std::string problem;
  const auto value = parse_whole_number(*text, problem);
  if (value && *value >= min && *value <= max) {
    out = *value;
    return true;
  }
  if (value) problem = "is out of range";
  error_at_value(name, problem + ": write a whole number of " + unit + " from " + std::to_string(min) + " to " +
                           std::to_string(max));
  return false;
}

bool ElementReader::read_int(const char* name, int& out, int min, int max, const char* unit) {
  std::int64_t value = out;
  if (!read_number(name, value, min, max, unit)) return false;
  out = static_cast<int>(value);
  return true;
}

bool ElementReader::read_on_off(const char* name, bool& out) {
  const auto text = read_text(name);
  if (!text) return true;
  if (const auto value = parse_on_off(*text)) {
    out = *value;
    return true;
  }
  error_at_value(name, "is neither on nor off");
  return false;
}

void ElementReader::finish(std::initializer_list<const char*> known_children) {
  for (const auto attribute : element_.attributes()) {
    if (asked_.count(attribute.name()) == 0) {
      diagnostics_.warning(source_.location_of_name(attribute), element_.name() + std::string("/") + attribute.name(),
                           "unknown attribute " + std::string(attribute.name()) + " in " + tag() + ": ignored");
    }
  }
  for (const auto child : element_.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      if (!trim(child.value()).empty()) {
        diagnostics_.warning(source_.location_of(child), element_.name(), "unexpected text in " + tag() + ": ignored");
      }
      continue;
    }
    if (child.type() != pugi::node_element) continue;
    bool known = false;
    for (const char* name : known_children) known = known || std::strcmp(name, child.name()) == 0;
    if (!known) {
      diagnostics_.warning(source_.location_of(child), child.name(),
                           "unknown element <" + std::string(child.name()) + "> in " + tag() + ": ignored");
    }
  }
}

pugi::xml_node single_child(const XmlSource& source, pugi::xml_node parent, const char* name, Diagnostics& diagnostics) {
  const auto first = parent.child(name);
  if (!first) return first;
  for (auto extra = first.next_sibling(name); extra; extra = extra.next_sibling(name)) {
    const auto where = source.location_of(first);
    diagnostics.error(source.location_of(extra), name,
                      "a second <" + std::string(name) + "> in <" + parent.name() + ">: only one is allowed (the first is on line " +
                          std::to_string(where.line) + ")");
  }
  return first;
}

}  // namespace hamirror::config
