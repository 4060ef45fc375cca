#include "config/toml_reader.h"

#include <utility>

namespace hamirror::config {
namespace {

const char* type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

}  // namespace

std::string TomlReader::label() const { return path_.empty() ? "the top level" : "[" + path_ + "]"; }

std::string TomlReader::subject(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

TomlReader::TomlReader(const std::string& file, std::string path, const toml::table* table, Diagnostics& diagnostics)
    : file_(file), path_(std::move(path)), table_(table), diagnostics_(diagnostics) {}

Location TomlReader::location_of(const toml::node& node) const {
  const auto& begin = node.source().begin;
  return {file_, static_cast<int>(begin.line), static_cast<int>(begin.column)};
}

Location TomlReader::location() const { return table_ == nullptr ? Location{file_, 0, 0} : location_of(*table_); }

int TomlReader::line_of(const char* key) const {
  const auto* node = table_ == nullptr ? nullptr : table_->get(key);
  return node == nullptr ? 0 : static_cast<int>(node->source().begin.line);
}

const toml::node* TomlReader::find(const char* key) {
  asked_.insert(key);
  return table_ == nullptr ? nullptr : table_->get(key);
}

void TomlReader::error_at(const char* key, const std::string& problem) {
  const auto* node = table_ == nullptr ? nullptr : table_->get(key);
  diagnostics_.error(node != nullptr ? location_of(*node) : location(), subject(key),
                     label() + " " + key + " " + problem);
}

void TomlReader::type_error(const char* key, const toml::node& node, const char* expected) {
  error_at(key, std::string("must be ") + expected + ", not " + type_name(node.type()));
}

std::optional<std::string> TomlReader::read_string(const char* key, bool required) {
  const auto* node = find(key);
  if (node == nullptr) {
    if (required) {
      diagnostics_.error(location(), subject(key), label() + " needs " + key + " = \"...\"");
    }
    return std::nullopt;
  }
  if (!node->is_string()) {
    type_error(key, *node, "a string");
    return std::nullopt;
  }
  return node->as_string()->get();
}

std::optional<bool> TomlReader::read_bool(const char* key) {
  const auto* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_boolean()) {
    type_error(key, *node, "true or false");
    return std::nullopt;
  }
  return node->as_boolean()->get();
}

bool TomlReader::read_port(const char* key, std::uint16_t& out) {
  const auto* node = find(key);
  if (node == nullptr) return true;
  if (!node->is_integer()) {
    type_error(key, *node, "a port number (an integer from 1 to 65535)");
    return false;
  }
  const auto value = node->as_integer()->get();
  if (value < 1 || value > 65535) {
    error_at(key, "= " + std::to_string(value) + " is not a port number: write an integer from 1 to 65535");
    return false;
  }
  out = static_cast<std::uint16_t>(value);
  return true;
}

const toml::array* TomlReader::read_array(const char* key) {
  const auto* node = find(key);
  if (node == nullptr) return nullptr;
  if (!node->is_array()) {
    type_error(key, *node, "an array");
    return nullptr;
  }
  return node->as_array();
}

const toml::table* TomlReader::read_table(const char* key, bool required) {
  const auto* node = find(key);
  if (node == nullptr) {
    if (required) {
      diagnostics_.error(location(), subject(key), "missing table [" + subject(key) + "]");
    }
    return nullptr;
  }
  if (!node->is_table()) {
    type_error(key, *node, "a table");
    return nullptr;
  }
  return node->as_table();
}

void TomlReader::finish() {
  if (table_ == nullptr) return;
  for (const auto& [key, node] : *table_) {
    if (asked_.count(std::string(key.str())) != 0) continue;
    const auto& begin = key.source().begin;
    diagnostics_.warning({file_, static_cast<int>(begin.line), static_cast<int>(begin.column)},
                         subject(key.str()),
                         "unknown key " + std::string(key.str()) + " in " + label() + ": ignored");
  }
}

}  // namespace hamirror::config
