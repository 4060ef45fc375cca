// Data generations: who has the newest data (DRBD's generation identifiers).
//
// A node's data carries a generation id. Two synchronised copies share one. When a
// primary starts acknowledging writes without its secondary, it first moves to a new
// generation (the old one goes to the front of its history). So when the nodes meet:
// - same current id: same data, up to the writes the activity record lists;
// - one's current id is in the other's history: the other moved on; it is newer;
// - both moved on from a common ancestor: both wrote alone — a split brain, never
//   merged silently;
// - nothing in common (a wiped disk, a new node): unrelated, full reintegration.
// The record is persisted atomically (io::AtomicFile) before the change it describes
// takes effect, and sent to the peer when they connect.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/wire/message_codec.h"
#include "io/random.h"

namespace hamirror::core {

constexpr std::size_t kMaxGenerationHistory = 16;
constexpr std::size_t kMaxDiscardedGenerations = 4;

enum class LastRole : std::uint8_t { none, primary, secondary };

struct GenerationInfo {
  std::uint64_t current = 0;            // 0: no data yet (a new or wiped node)
  std::vector<std::uint64_t> history;   // older ids, newest first, at most kMaxGenerationHistory
  bool consistent = true;               // false while a reintegration into this copy runs
  bool outdated = false;                // known behind: the peer acknowledged writes alone
  std::uint64_t changes_alone = 0;      // ops acknowledged alone in the current generation
  LastRole last_role = LastRole::none;  // for defaultprim="lastprim"
  // Generations an admin chose to overwrite (`prim` on this side of a split brain),
  // newest first: a copy holding one of them is older than this one, whatever its
  // history says, and is fully reintegrated.
  std::vector<std::uint64_t> discarded;
  // True from a node's start until its clean stop: found true at the next start, the
  // last run ended in a crash, and this copy may lack acknowledged writes it had not
  // yet made durable.
  bool running = false;
  // A split brain with the peer was detected and no admin has resolved it yet: this
  // node does not go ALONE by itself, even after a restart without its peer.
  bool split_brain = false;
  // The peer holds this generation as a synchronised copy (set when the pair becomes
  // PRIM + synchronised SECOND, cleared by every new generation). A node that went down
  // while paired does not go ALONE at its next start without meeting the peer, which
  // may have taken over meanwhile (DRBD's wfc-timeout, as opposed to degr-wfc-timeout
  // for a node that was already alone); after a crash, the peer also holds the
  // acknowledged writes this copy had not made durable.
  bool paired = false;
  // Recorded durably before this copy acknowledges its first write alone in `current`
  // (Node::may_acknowledge_alone). A generation a primary started to go on alone and
  // never acknowledged a write in holds nothing a writer was told is stored that its
  // parent (history.front()) lacks: only changes its marks cover. Meeting a peer that
  // also moved on from that parent is then no split brain (seed 55793).
  bool acknowledged_alone = false;

  HM_WIRE_MESSAGE(wire::MessageType::generation_info, "generation_info")
  HM_WIRE_FIELDS(current, history, consistent, outdated, changes_alone, last_role, discarded, running, split_brain,
                 paired, acknowledged_alone)
  static constexpr std::size_t kMaxBodyBytes = 512;
  std::string check() const {
    if (history.size() > kMaxGenerationHistory) return "history longer than " + std::to_string(kMaxGenerationHistory);
    if (discarded.size() > kMaxDiscardedGenerations) return "more than " + std::to_string(kMaxDiscardedGenerations) + " discarded generations";
    if (last_role > LastRole::secondary) return "unknown last role";
    return {};
  }
  friend bool operator==(const GenerationInfo&, const GenerationInfo&) = default;
};

enum class DataRelation : std::uint8_t { same, local_newer, peer_newer, diverged, unrelated };
std::string_view data_relation_name(DataRelation relation);

// Both sides moved on from a common ancestor is `diverged` only when each may have
// acknowledged writes alone since: a side that started its generation going alone and
// acknowledged nothing in it counts as its parent (is_unacknowledged_alone).
DataRelation compare(const GenerationInfo& local, const GenerationInfo& peer);

// A generation this copy started as primary going on alone, never paired and never
// acknowledged a write alone in: its data is its parent's plus what its marks cover.
bool is_unacknowledged_alone(const GenerationInfo& info);

// The primary is about to acknowledge writes without its secondary: a new id, the old
// one remembered. Never returns 0.
GenerationInfo start_new_generation(GenerationInfo info, io::Prng& random);
// The admin resolved a split brain for this side: the peer's diverged generation is
// to be overwritten (see GenerationInfo::discarded).
GenerationInfo discard_generation(GenerationInfo info, std::uint64_t peer_generation);

// Up to date enough to become primary on its own: consistent, not outdated, has data.
bool may_promote_itself(const GenerationInfo& info);
// Why not, in words for the module log ("" when it may).
std::string why_not_promotable(const GenerationInfo& info);

}  // namespace hamirror::core
