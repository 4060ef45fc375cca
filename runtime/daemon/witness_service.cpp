#include "daemon/witness_service.h"

#include <uv.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "auth/authenticated_network.h"
#include "auth/cluster_key.h"
#include "auth/nonce_source.h"
#include "core/witness/witness_server.h"
#include "daemon/log_file.h"
#include "daemon/resolver.h"
#include "platform/platform.h"
#include "uv/uv_backend.h"

namespace hamirror::daemon {
namespace {

std::string where(const std::string& file, const toml::source_region& region) {
  return file + ":" + std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column);
}

void log_line(const std::string& text) { std::fprintf(stderr, "%s %s\n", utc_timestamp_now().c_str(), text.c_str()); }

}  // namespace

WitnessConfigResult parse_witness_config(const std::string& text, const std::string& file) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& error) {
    return {std::nullopt, where(file, error.source()) + ": " + std::string(error.description())};
  }
  const toml::table* section = root["witness"].as_table();
  if (section == nullptr) return {std::nullopt, file + ": no [witness] table (see witness.example.toml)"};
  WitnessFileConfig config;
  const auto listen = (*section)["listen"].value<std::string>();
  if (!listen || listen->empty()) return {std::nullopt, where(file, section->source()) + ": [witness] needs listen = \"ADDRESS\""};
  config.listen = *listen;
  if (const auto* port = (*section)["port"].as_integer()) {
    if (port->get() < 1 || port->get() > 65535) return {std::nullopt, where(file, port->source()) + ": port must be 1..65535"};
    config.port = static_cast<std::uint16_t>(port->get());
  }
  const toml::array* nodes = (*section)["nodes"].as_array();
  if (nodes == nullptr || nodes->size() != 2 || !nodes->is_homogeneous<std::string>()) {
    return {std::nullopt, where(file, section->source()) + ": [witness] needs nodes = [\"NODE1\", \"NODE2\"] (the two node names)"};
  }
  config.nodes = {*(*nodes)[0].value<std::string>(), *(*nodes)[1].value<std::string>()};
  if (config.nodes[0] == config.nodes[1]) return {std::nullopt, where(file, nodes->source()) + ": the two node names must differ"};
  const auto state_file = (*section)["state_file"].value<std::string>();
  if (!state_file || state_file->empty()) {
    return {std::nullopt, where(file, section->source()) + ": [witness] needs state_file = \"PATH\" (where the lease epoch is kept)"};
  }
  config.state_file = *state_file;
  // As on the nodes: a cluster key, or the admin's explicit insecure = true.
  if (const auto key_file = (*section)["key_file"].value<std::string>()) {
    config.key_file = *key_file;
  } else if (!(*section)["insecure"].value<bool>().value_or(false)) {
    return {std::nullopt, where(file, section->source()) +
                              ": [witness] needs key_file = \"PATH\" (the nodes' cluster key, made by hamirror genkey), or "
                              "insecure = true to grant leases without authentication (a lab, a test)"};
  }
  return {config, {}};
}

int run_witness(const std::string& config_file) {
  std::ifstream in(config_file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "hamirrord witness: cannot read %s\n", config_file.c_str());
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto parsed = parse_witness_config(text.str(), config_file);
  if (!parsed.config) {
    std::fprintf(stderr, "%s\n", parsed.error.c_str());
    return 2;
  }
  const WitnessFileConfig& config = *parsed.config;

  uv_loop_t loop;
  uv_loop_init(&loop);
  const auto listen = resolve_host(&loop, config.listen);
  if (!listen) {
    std::fprintf(stderr, "hamirrord witness: cannot resolve listen = %s in %s\n", config.listen.c_str(), config_file.c_str());
    return 2;
  }
  std::optional<auth::ClusterKey> key;
  if (!config.key_file.empty()) {
    auto loaded = auth::load_key(config.key_file);
    if (!loaded.key) {
      std::fprintf(stderr, "hamirrord witness: %s (key_file in %s)\n", loaded.error.c_str(), config_file.c_str());
      return 2;
    }
    if (!loaded.warning.empty()) log_line(loaded.warning);
    key = loaded.key;
  } else {
    log_line("INSECURE: insecure = true and no key_file in " + config_file +
             ": lease requests are not authenticated (use the nodes' cluster key)");
  }
  platform::prepare_process_for_io();
  {
    uv::UvBackend backend(&loop);
    io::Io plain = backend.io();
    // With a key, every lease datagram is authenticated like the nodes' heartbeats.
    std::unique_ptr<auth::NonceSource> nonces;
    std::unique_ptr<auth::AuthenticatedNetwork> network;
    if (key) {
      nonces = auth::make_os_nonce_source();
      network = std::make_unique<auth::AuthenticatedNetwork>(plain.network, *key, *nonces, plain.clock,
                                                             [](const std::string& line) { log_line(line); });
    }
    io::Io io{plain.clock, plain.random, network ? *network : plain.network, plain.fs, plain.processes, plain.services,
              plain.vip};
    core::witness::WitnessServer server(
        io, core::witness::WitnessConfig{{*listen, config.port}, config.nodes, config.state_file},
        core::witness::WitnessServer::Listener{
            .on_grant = [](const std::string& holder, std::uint64_t epoch, const std::string& reason) {
              log_line("lease to " + holder + " (epoch " + std::to_string(epoch) + "): " + reason);
            },
            .on_problem = [](const std::string& problem) { log_line("problem: " + problem); }});
    if (const io::Error error = server.start(); error != io::Error::ok) {
      std::fprintf(stderr, "hamirrord witness: cannot listen on %s:%u (UDP): %s\n", listen->c_str(), config.port,
                   std::string(io::error_name(error)).c_str());
      return 3;
    }
    log_line("witness for " + config.nodes[0] + " and " + config.nodes[1] + " on " + *listen + ":" +
             std::to_string(config.port) + ", state in " + config.state_file);
    uv_signal_t signals[2];
    int index = 0;
    for (const int number : {SIGINT, SIGTERM}) {
      uv_signal_t& handle = signals[index++];
      uv_signal_init(&loop, &handle);
      handle.data = &loop;
      if (uv_signal_start(&handle, [](uv_signal_t* h, int) { uv_stop(static_cast<uv_loop_t*>(h->data)); }, number) != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(&handle), nullptr);
      }
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    log_line("witness stopped");
    for (auto& handle : signals) {
      if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&handle))) uv_close(reinterpret_cast<uv_handle_t*>(&handle), nullptr);
    }
    uv_run(&loop, UV_RUN_NOWAIT);
  }
  uv_run(&loop, UV_RUN_NOWAIT);
  return 0;
}

}  // namespace hamirror::daemon
