#include "config/xml_source.h"

#include <utility>

#include "config/typographic_quotes.h"

namespace hamirror::config {
namespace {

constexpr std::size_t kMaxHintTagChars = 120;

std::string parse_failure_message(const pugi::xml_parse_result& result) {
  switch (result.status) {
    case pugi::status_no_document_element:
      return "no root element: a userconfig.xml holds <safe><service mode=\"mirror\">...</service></safe>";
    case pugi::status_end_element_mismatch:
      return "not well-formed XML: this closing tag does not match the element it closes";
    case pugi::status_bad_attribute:
      return "not well-formed XML: malformed attribute (write name=\"value\", with straight quotes)";
    default:
      return std::string("not well-formed XML: ") + result.description();
  }
}

std::string typographic_quote_message(std::string_view text, const TagWithTypographicQuotes& tag) {
  std::string message = "typographic quote " + std::string(tag.quote) + " (" + tag.code_point +
                        ") in a tag: XML needs straight quotes (\" or ')";
  const auto tag_text = text.substr(tag.tag_begin, tag.tag_end - tag.tag_begin);
  if (tag_text.size() <= kMaxHintTagChars) {
    message += "; write " + with_straight_quotes(tag_text);
  }
  return message;
}

}  // namespace

XmlSource::XmlSource(std::string_view text, std::string file) : source_(text), file_(std::move(file)) {}

std::unique_ptr<XmlSource> XmlSource::parse(std::string_view text, std::string file, Diagnostics& diagnostics) {
  std::unique_ptr<XmlSource> source(new XmlSource(text, std::move(file)));
  if (text.substr(0, 2) == "\xFF\xFE" || text.substr(0, 2) == "\xFE\xFF") {
    diagnostics.error({source->file_, 1, 1}, "", "the file is UTF-16 encoded: save it as UTF-8");
    return nullptr;
  }
  const auto result = source->document_.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  const auto quoted_tags = find_typographic_quotes_in_tags(text);
  if (!result) {
    const auto failure = static_cast<std::size_t>(result.offset);
    const TagWithTypographicQuotes* culprit = nullptr;
    for (const auto& tag : quoted_tags) {
      if (failure >= tag.tag_begin && failure <= tag.tag_end) culprit = &tag;
    }
    if (culprit != nullptr) {
      diagnostics.error(source->at_offset(culprit->first_quote), "", typographic_quote_message(text, *culprit));
    } else {
      diagnostics.error(source->at_offset(failure), "", parse_failure_message(result));
    }
    for (const auto& tag : quoted_tags) {
      if (&tag != culprit) diagnostics.error(source->at_offset(tag.first_quote), "", typographic_quote_message(text, tag));
    }
    return nullptr;
  }
  const auto root = source->document_.document_element();
  const auto root_offset = root.offset_debug();
  if (root_offset >= 0) source->buffer_ = root.name() - root_offset;
  return source;
}

Location XmlSource::at_offset(std::size_t byte_offset) const {
  const auto position = source_.position_of(byte_offset);
  return {file_, position.line, position.column};
}

std::size_t XmlSource::offset_of(const char* pointer) const {
  if (buffer_ == nullptr || pointer < buffer_ || pointer >= buffer_ + source_.text().size()) {
    return std::string_view::npos;
  }
  return static_cast<std::size_t>(pointer - buffer_);
}

Location XmlSource::location_of(pugi::xml_node element) const {
  const auto offset = element.offset_debug();
  if (offset <= 0) return {file_, 0, 0};
  // offset_debug() points at the name; the tag starts one character earlier.
  return at_offset(static_cast<std::size_t>(offset) - (element.type() == pugi::node_element ? 1 : 0));
}

Location XmlSource::location_of_name(pugi::xml_attribute attribute) const {
  const auto offset = offset_of(attribute.name());
  return offset == std::string_view::npos ? Location{file_, 0, 0} : at_offset(offset);
}

Location XmlSource::location_of_value(pugi::xml_attribute attribute) const {
  const auto offset = offset_of(attribute.value());
  return offset == std::string_view::npos ? location_of_name(attribute) : at_offset(offset);
}

}  // namespace hamirror::config
