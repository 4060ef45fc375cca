// A userconfig.xml parsed by pugixml, plus where each element and attribute sits in the
// file. pugixml gives byte offsets; this turns them into line:column (source_text.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <pugixml.hpp>

#include "config/diagnostics.h"
#include "config/source_text.h"

namespace hamirror::config {

class XmlSource {
 public:
  // Parses `text` (which must outlive the result). When it is not well-formed XML,
  // reports one error — with a hint when typographic quotes are the cause, plus one
  // error for each other tag holding them — and returns nullptr: nothing else can be
  // checked in a file that does not parse.
  static std::unique_ptr<XmlSource> parse(std::string_view text, std::string file, Diagnostics& diagnostics);

  pugi::xml_node root() const { return document_.document_element(); }
  const std::string& file() const { return file_; }

  Location at_offset(std::size_t byte_offset) const;
  Location location_of(pugi::xml_node element) const;           // its '<'
  Location location_of_name(pugi::xml_attribute attribute) const;   // its name
  Location location_of_value(pugi::xml_attribute attribute) const;  // its value's first character

 private:
  XmlSource(std::string_view text, std::string file);
  // The offset of a pointer into pugixml's copy of the text, or npos.
  std::size_t offset_of(const char* pointer) const;

  SourceText source_;
  std::string file_;
  pugi::xml_document document_;
  const char* buffer_ = nullptr;  // pugixml's copy of the text: offsets are relative to it
};

}  // namespace hamirror::config
