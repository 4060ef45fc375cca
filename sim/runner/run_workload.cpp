// The simulated clients: each one sequential (one op in flight), owning its files,
// writing payloads the oracle can verify (payload.h). A client talks to the node it
// believes serves, and moves to the other one when refused or when its node is gone
// or stalled, as an application behind the VIP would.
#include <algorithm>
#include <iterator>

#include "io/assert.h"
#include "sim/runner/payload.h"
#include "sim/runner/run_impl.h"

namespace hamirror::sim::runner {

namespace {
constexpr std::uint64_t kBigWriteMin = 64 * 1024;
// What a client's chmod gives a file or its directory, and its mkdir asks for (the
// nodes run as root: read-only modes forbid them nothing).
constexpr std::uint32_t kFileModes[] = {0644, 0600, 0640, 0444, 0400, 0755, 0};
constexpr std::uint32_t kDirectoryModes[] = {0755, 0700, 0750, 0555, 0500, 01777};
constexpr std::uint64_t kBigWriteMax = 1024 * 1024;
// Uniform in [low, high], or uniform in log2 (as many 4-8 KiB writes as 512 KiB-1 MiB).
std::uint64_t draw_size(io::Prng& rng, std::uint64_t low, std::uint64_t high, bool log_uniform) {
  if (!log_uniform || low == 0) return static_cast<std::uint64_t>(rng.between(static_cast<std::int64_t>(low), static_cast<std::int64_t>(high)));
  int low_bits = 0;
  while ((std::uint64_t{2} << low_bits) <= low) ++low_bits;
  int high_bits = low_bits;
  while ((std::uint64_t{2} << high_bits) <= high) ++high_bits;
  const int bits = static_cast<int>(rng.between(low_bits, high_bits));
  const std::uint64_t from = std::max(low, std::uint64_t{1} << bits);
  const std::uint64_t to = std::min(high, (std::uint64_t{2} << bits) - 1);
  return from >= to ? from : static_cast<std::uint64_t>(rng.between(static_cast<std::int64_t>(from), static_cast<std::int64_t>(to)));
}

}  // namespace

void Run::start_clients() {
  const WorkloadOptions& w = scenario_.workload;
  for (int c = 0; c < w.clients; ++c) {
    Client client;
    client.id = c;
    for (int f = 0; f < w.files_per_client; ++f) {
      const std::string path = "c" + std::to_string(c) + "f" + std::to_string(f);
      client.files.push_back(path);
      client.belief[path] = {Exists::no, 0};
    }
    client.directory = "c" + std::to_string(c) + "d";
    client.belief[client.directory] = {Exists::no, 0};
    clients_.push_back(std::move(client));
  }
  for (int c = 0; c < w.clients; ++c) {
    cluster_.scheduler().after(workload_rng_.between(0, 200) * io::kNsPerMs, [this, c] { client_step(c); });
  }
}

core::FileOp Run::next_op(Client& client, OpRecord& rec) {
  const WorkloadOptions& w = scenario_.workload;
  // No draw at all without mode ops: the op stream is then what it was before them.
  if (w.mode_ops_percent != 0 && workload_rng_.below(100) < w.mode_ops_percent) return next_mode_op(client, rec);
  const std::string path = client.files[workload_rng_.below(client.files.size())];
  const auto [exists, size] = client.belief[path];
  rec.client = client.id;
  rec.path = path;
  if (exists != Exists::yes) {
    rec.kind = core::OpKind::create;
    return core::FileOp{.kind = core::OpKind::create, .path = path};
  }
  const std::uint64_t roll = workload_rng_.below(100);
  if (roll < 60) {
    std::uint64_t length = 0;
    if (w.big_write_one_in != 0 && workload_rng_.chance(1, w.big_write_one_in)) {
      length = static_cast<std::uint64_t>(workload_rng_.between(kBigWriteMin, kBigWriteMax));
    } else {
      length = draw_size(workload_rng_, w.write_bytes_min, w.write_bytes_max, w.log_uniform_sizes);
    }
    length = std::min(length, w.file_bytes_max);
    const std::uint64_t room = w.file_bytes_max - length;
    const std::uint64_t offset = workload_rng_.below(std::min(room, size + 64 * 1024) + 1);
    rec.kind = core::OpKind::write;
    rec.offset = offset;
    rec.size_bytes = length;
    return core::FileOp{};  // the caller fills the payload: it needs the op id
  }
  if (roll < 68) {
    rec.kind = core::OpKind::truncate;
    rec.size_bytes = workload_rng_.below(w.file_bytes_max / 2 + 1);
    return core::FileOp{.kind = core::OpKind::truncate, .path = path, .size_bytes = rec.size_bytes};
  }
  if (roll < 82) {
    rec.kind = core::OpKind::fsync;
    return core::FileOp{.kind = core::OpKind::fsync, .path = path};
  }
  if (roll < 90 && client.files.size() > 1) {
    std::string target = path;
    while (target == path) target = client.files[workload_rng_.below(client.files.size())];
    rec.kind = core::OpKind::rename;
    rec.target = target;
    return core::FileOp{.kind = core::OpKind::rename, .path = path, .target = target};
  }
  if (roll < 95) {
    rec.kind = core::OpKind::unlink;
    return core::FileOp{.kind = core::OpKind::unlink, .path = path};
  }
  rec.kind = core::OpKind::create;
  return core::FileOp{.kind = core::OpKind::create, .path = path};
}

// A chmod of a file the client believes is there, or an op on its directory: mkdir
// with a mode where it believes there is none, else a chmod or an rmdir.
core::FileOp Run::next_mode_op(Client& client, OpRecord& rec) {
  rec.client = client.id;
  const std::string& file = client.files[workload_rng_.below(client.files.size())];
  if (workload_rng_.chance(1, 2) && client.belief[file].first == Exists::yes) {
    rec.kind = core::OpKind::set_mode;
    rec.path = file;
    rec.mode = kFileModes[workload_rng_.below(std::size(kFileModes))];
    return core::FileOp{.kind = rec.kind, .path = rec.path, .mode = rec.mode};
  }
  rec.path = client.directory;
  rec.mode = kDirectoryModes[workload_rng_.below(std::size(kDirectoryModes))];
  const Exists exists = client.belief[client.directory].first;
  if (exists == Exists::no || (exists == Exists::maybe && workload_rng_.chance(1, 2))) {
    rec.kind = core::OpKind::mkdir;
  } else {
    rec.kind = workload_rng_.chance(1, 4) ? core::OpKind::rmdir : core::OpKind::set_mode;
  }
  if (rec.kind == core::OpKind::rmdir) rec.mode = 0;
  return core::FileOp{.kind = rec.kind, .path = rec.path, .mode = rec.mode};
}

void Run::client_step(int id) {
  if (phase_ != Phase::safety || violation_) return;
  Client& client = clients_[static_cast<std::size_t>(id)];
  if (client.pending) return;
  if (!usable(client.target)) return client_retry(id, workload_rng_.between(50, 300) * io::kNsPerMs, true);
  OpRecord rec;
  core::FileOp op = next_op(client, rec);
  rec.node = client.target;
  rec.submitted_ns = cluster_.scheduler().now_ns();
  const std::uint64_t op_id = oracle_.record(rec);
  if (rec.kind == core::OpKind::write) {
    op = core::FileOp{.kind = core::OpKind::write, .path = rec.path, .offset = rec.offset,
                      .data = make_payload(op_id, rec.offset, rec.size_bytes)};
  }
  client.pending = op_id;
  NodeSlot& s = slot(client.target);
  const std::string node = client.target;
  const std::uint64_t incarnation = s.incarnation;
  const io::Error accepted = s.node->submit(std::move(op), [this, id, op_id, node, incarnation](io::Error result) {
    on_op_done(id, op_id, node, incarnation, result);
  });
  if (accepted == io::Error::ok) return;
  // Refused at the door: never happened.
  client.pending.reset();
  oracle_.forget_last(op_id);
  client_retry(id, workload_rng_.between(20, 200) * io::kNsPerMs, accepted == io::Error::read_only);
}

void Run::client_retry(int id, std::int64_t delay_ns, bool switch_target) {
  Client& client = clients_[static_cast<std::size_t>(id)];
  if (switch_target) client.target = client.target == "node1" ? "node2" : "node1";
  cluster_.scheduler().after(delay_ns, [this, id] { client_step(id); });
}

void Run::on_op_done(int id, std::uint64_t op_id, const std::string& node, std::uint64_t incarnation, io::Error result) {
  if (slot(node).incarnation != incarnation) return;  // an earlier process's answer: it was lost
  Client& client = clients_[static_cast<std::size_t>(id)];
  OpRecord& rec = oracle_.op(op_id);
  if (rec.outcome != OpOutcome::pending) return;
  oracle_.complete(op_id, cluster_.scheduler().now_ns(), result);
  rec.acked_synchronised = result == io::Error::ok && pair_synchronised_now();
  if (client.pending == op_id) client.pending.reset();
  auto& belief = client.belief[rec.path];
  if (result == io::Error::ok) {
    switch (rec.kind) {
      case core::OpKind::create: belief.first = Exists::yes; break;
      case core::OpKind::write: belief.second = std::max(belief.second, rec.offset + rec.size_bytes); break;
      case core::OpKind::truncate: belief.second = rec.size_bytes; break;
      case core::OpKind::rename:
        client.belief[rec.target] = belief;
        client.belief[rec.path] = {Exists::no, 0};
        break;
      case core::OpKind::unlink: belief = {Exists::no, 0}; break;
      case core::OpKind::mkdir: belief.first = Exists::yes; break;
      case core::OpKind::rmdir: belief = {Exists::no, 0}; break;
      default: break;
    }
    on_acknowledged(node, rec.submitted_ns);
  } else {
    belief.first = Exists::maybe;
    if (rec.kind == core::OpKind::rename) client.belief[rec.target].first = Exists::maybe;
  }
  if (violation_ || phase_ != Phase::safety) return;
  const std::int64_t think = workload_rng_.between(0, scenario_.workload.think_ms_max) * io::kNsPerMs;
  cluster_.scheduler().after(think, [this, id] { client_step(id); });
}

// The node's process is gone: its clients' ops are lost, and they go elsewhere.
void Run::release_clients_of(const std::string& node) {
  oracle_.lose_pending(node, cluster_.scheduler().now_ns());
  for (Client& client : clients_) {
    if (!client.pending || oracle_.op(*client.pending).node != node) continue;
    client.belief[oracle_.op(*client.pending).path].first = Exists::maybe;
    client.pending.reset();
    client_retry(client.id, workload_rng_.between(50, 300) * io::kNsPerMs, true);
  }
}

}  // namespace hamirror::sim::runner
