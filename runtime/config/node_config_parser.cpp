#include "config/node_config_parser.h"

#include <map>
#include <utility>

#include "config/address.h"
#include "config/source_text.h"
#include "config/toml_preflight.h"
#include "config/toml_reader.h"
#include "config/values.h"

namespace hamirror::config {
namespace {

struct Context {
  const std::string& file;
  PathStyle path_style;
  Diagnostics& diagnostics;
};

std::string read_name(TomlReader& reader, const char* key) {
  const auto name = reader.read_string(key, true);
  if (!name) return {};
  if (!is_valid_node_name(*name)) {
    reader.error_at(key, "= \"" + *name + "\" is not a valid node name: 1 to 63 letters, digits, '.', '_' or '-'");
    return {};
  }
  return *name;
}

std::string read_directory(TomlReader& reader, const char* key, PathStyle style) {
  const auto dir = reader.read_string(key, true);
  if (!dir) return {};
  if (const auto problem = replicated_dir_problem(*dir, style)) {
    reader.error_at(key, "= \"" + *dir + "\" " + *problem);
    return {};
  }
  return *dir;
}

std::string read_address(TomlReader& reader, const char* key) {
  const auto address = reader.read_string(key, true);
  if (!address) return {};
  if (!parse_ip_literal(*address) && !is_host_name(*address)) {
    reader.error_at(key, "= \"" + *address + "\" is neither an IPv4 or IPv6 address nor a host name");
    return {};
  }
  return *address;
}

// The cluster key (hamirror genkey) is required: without it, whoever reaches the
// heartbeat or replication port can pose as the peer (and make a secondary take over,
// or feed it data). Running without one takes the admin's explicit `insecure = true`
// (a lab, a test), and the daemon says so in the module log at each start.
void read_key_setting(Context& context, TomlReader& reader, NodeConfig& out) {
  out.insecure = reader.read_bool("insecure").value_or(false);
  const auto key_file = reader.read_string("key_file", false);
  if (!key_file) {
    if (!out.insecure && reader.line_of("key_file") == 0) {  // present but not a string: reported
      context.diagnostics.error(reader.location(), "node.key_file",
                                "[node] needs key_file = \"/etc/hamirror/cluster.key\": the cluster key that authenticates "
                                "the peer and the witness (make it with `hamirror genkey`, copy it to both nodes and the "
                                "witness); or insecure = true to run without authentication (a lab, a test)");
    }
    return;
  }
  if (const auto problem = replicated_dir_problem(*key_file, context.path_style)) {
    reader.error_at("key_file", "= \"" + *key_file + "\" " + *problem);
    return;
  }
  out.key_file = *key_file;
  out.key_file_line = reader.line_of("key_file");
  if (out.insecure) {
    context.diagnostics.warning(reader.location(), "node.insecure",
                                "[node] has both key_file and insecure = true: peers are authenticated with key_file "
                                "(remove insecure)");
    out.insecure = false;
  }
}

void read_node(Context& context, const toml::table* table, NodeConfig& out) {
  if (table == nullptr) return;  // already reported
  TomlReader reader(context.file, "node", table, context.diagnostics);
  out.name = read_name(reader, "name");
  out.state_dir = read_directory(reader, "state_dir", context.path_style);
  out.log_dir = read_directory(reader, "log_dir", context.path_style);
  out.state_dir_line = reader.line_of("state_dir");
  out.log_dir_line = reader.line_of("log_dir");
  read_key_setting(context, reader, out);
  const bool console_ok = reader.read_port("console_port", out.console_port);
  const bool replication_ok = reader.read_port("replication_port", out.replication_port);
  reader.read_port("heartbeat_port", out.heartbeat_port);
  reader.finish();
  if (console_ok && replication_ok && out.console_port == out.replication_port) {
    reader.error_at(table != nullptr && table->contains("replication_port") ? "replication_port" : "console_port",
                    "is " + std::to_string(out.console_port) +
                        ", the same port as the console and the replication: give them different ports");
  }
}

void read_peer(Context& context, const toml::table* table, NodeConfig& out) {
  out.peer_replication_port = out.replication_port;
  out.peer_heartbeat_port = out.heartbeat_port;
  if (table == nullptr) return;  // already reported
  TomlReader reader(context.file, "peer", table, context.diagnostics);
  out.peer_name = read_name(reader, "name");
  reader.read_port("replication_port", out.peer_replication_port);
  reader.read_port("heartbeat_port", out.peer_heartbeat_port);
  reader.finish();
  if (!out.name.empty() && out.name == out.peer_name) {
    reader.error_at("name", "= \"" + out.peer_name + "\" is this node's own name: the peer needs another name");
  }
}

void read_networks(Context& context, const toml::table* table, NodeConfig& out) {
  if (table == nullptr) return;
  for (const auto& [key, node] : *table) {
    const std::string name(key.str());
    const std::string path = "networks." + name;
    if (!node.is_table()) {
      TomlReader parent(context.file, "networks", table, context.diagnostics);
      parent.error_at(name.c_str(), "must be a table with node = \"...\" and peer = \"...\"");
      continue;
    }
    TomlReader reader(context.file, path, node.as_table(), context.diagnostics);
    NetworkAddresses network{name, read_address(reader, "node"), read_address(reader, "peer"),
                             reader.location().line};
    reader.finish();
    if (!is_valid_node_name(name)) {
      context.diagnostics.error(reader.location(), path,
                                "[" + path + "]: \"" + name + "\" is not a valid network name (letters, digits, '.', '_', '-')");
      continue;
    }
    out.networks.push_back(std::move(network));
  }
  if (table->empty()) {
    TomlReader reader(context.file, "networks", table, context.diagnostics);
    context.diagnostics.error(reader.location(), "networks",
                              "[networks] is empty: add one [networks.NAME] per <heartbeat name=\"NAME\"> of userconfig.xml");
  }
}

void read_witness(Context& context, const toml::table* table, NodeConfig& out) {
  TomlReader reader(context.file, "witness", table, context.diagnostics);
  const auto* addresses = reader.read_array("addresses");
  reader.finish();
  if (addresses == nullptr) return;
  std::map<std::string, int> lines;
  for (const auto& element : *addresses) {
    const auto where = reader.location_of(element);
    if (!element.is_string()) {
      context.diagnostics.error(where, "witness.addresses", "[witness] addresses: each entry must be a \"host:port\" string");
      continue;
    }
    const auto& text = element.as_string()->get();
    std::string problem;
    const auto host_port = parse_host_port(text, problem);
    if (!host_port) {
      context.diagnostics.error(where, "witness.addresses", "[witness] addresses: \"" + text + "\" " + problem);
      continue;
    }
    if (const auto [it, inserted] = lines.emplace(text, where.line); !inserted) {
      context.diagnostics.error(where, "witness.addresses",
                                "[witness] addresses: \"" + text + "\" is listed twice (first on line " +
                                    std::to_string(it->second) + ")");
      continue;
    }
    out.witnesses.push_back({host_port->host, host_port->port});
  }
}

// Two nodes on one machine (the same address on a network) need different ports.
void check_self_connection(Context& context, const toml::table* peer, const NodeConfig& config) {
  for (const auto& network : config.networks) {
    if (network.node_address.empty() || network.node_address != network.peer_address) continue;
    TomlReader reader(context.file, "peer", peer, context.diagnostics);
    const std::string why = ", the same as this node's, while both have address " + network.node_address +
                            " on network " + network.name + ": this node would talk to itself";
    if (config.peer_replication_port == config.replication_port) {
      reader.error_at("replication_port", "is " + std::to_string(config.peer_replication_port) + why);
    }
    if (config.peer_heartbeat_port == config.heartbeat_port) {
      reader.error_at("heartbeat_port", "is " + std::to_string(config.peer_heartbeat_port) + why);
    }
    return;
  }
}

// toml++'s own syntax error, as a diagnostic; false when there is one.
bool try_toml_parse(std::string_view text, const std::string& file, toml::table& out, Diagnostics& diagnostics) {
  try {
    out = toml::parse(text, file);
    return true;
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    diagnostics.error({file, static_cast<int>(begin.line), static_cast<int>(begin.column)}, "",
                      "TOML syntax error: " + std::string(error.description()));
    return false;
  }
}

// Bounds the rewrites of parse_toml: past that, the first unsafe construct is reported
// without asking toml++ about earlier errors.
constexpr int kMaxUnsafeRewrites = 16;

// Parses `text`, keeping from toml++ what it cannot parse safely (toml_preflight.h).
bool parse_toml(std::string_view text, const std::string& file, toml::table& out, Diagnostics& diagnostics) {
  const auto first_unsafe = find_unsafe_toml(text);
  if (!first_unsafe) return try_toml_parse(text, file, out, diagnostics);
  const auto position = SourceText(text).position_of(first_unsafe->offset);
  const Diagnostic ours{Severity::error, file, position.line, position.column, "",
                        std::string("TOML syntax error: ") + first_unsafe->message};
  // A syntax error before it is the one to report. To find one, each unsafe character
  // becomes a '=', which toml++ refuses there safely; an error toml++ reports at or
  // after the first unsafe place is replaced by ours.
  std::string rewritten(text);
  for (int rewrites = 0; rewrites < kMaxUnsafeRewrites; ++rewrites) {
    const auto unsafe = find_unsafe_toml(rewritten);
    if (!unsafe) {
      Diagnostics toml_errors;
      toml::table ignored;
      try_toml_parse(rewritten, file, ignored, toml_errors);
      const auto* earlier = toml_errors.items().empty() ? nullptr : &toml_errors.items().front();
      const bool is_earlier = earlier != nullptr && (earlier->line < ours.line ||
                                                     (earlier->line == ours.line && earlier->column < ours.column));
      diagnostics.add(is_earlier ? *earlier : ours);
      return false;
    }
    rewritten[unsafe->offset] = '=';
  }
  diagnostics.add(ours);
  return false;
}

}  // namespace

NodeConfigResult parse_node_config(std::string_view text, const std::string& file, PathStyle path_style) {
  NodeConfigResult result;
  auto& diagnostics = result.diagnostics;
  toml::table root;
  if (!parse_toml(text, file, root, diagnostics)) return result;
  Context context{file, path_style, diagnostics};
  TomlReader top(file, "", &root, diagnostics);
  NodeConfig config;
  read_node(context, top.read_table("node", true), config);
  const auto* peer = top.read_table("peer", true);
  read_peer(context, peer, config);
  read_networks(context, top.read_table("networks", true), config);
  read_witness(context, top.read_table("witness", false), config);
  top.finish();
  check_self_connection(context, peer, config);
  diagnostics.sort_by_position();
  if (!diagnostics.has_errors()) result.config = std::move(config);
  return result;
}

}  // namespace hamirror::config
