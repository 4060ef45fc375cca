#include "core/replication/generation.h"

#include <algorithm>

#include "core/canary.h"
#include "io/assert.h"

namespace hamirror::core {

std::string_view data_relation_name(DataRelation relation) {
  switch (relation) {
    case DataRelation::same: return "same";
    case DataRelation::local_newer: return "local_newer";
    case DataRelation::peer_newer: return "peer_newer";
    case DataRelation::diverged: return "diverged";
    case DataRelation::unrelated: return "unrelated";
  }
  return "unknown";
}

namespace {
bool contains(const std::vector<std::uint64_t>& ids, std::uint64_t id) {
  return id != 0 && std::find(ids.begin(), ids.end(), id) != ids.end();
}
}  // namespace

bool is_unacknowledged_alone(const GenerationInfo& info) {
  return !info.acknowledged_alone && !info.paired && info.last_role == LastRole::primary && info.current != 0 &&
         !info.history.empty();
}

namespace {

// The generation's parent in its place: the data point such a copy holds.
GenerationInfo as_parent(GenerationInfo info) {
  info.current = info.history.front();
  info.history.erase(info.history.begin());
  return info;
}

DataRelation compare_ids(const GenerationInfo& local, const GenerationInfo& peer) {
  // A copy that names no current data (new, wiped, or given up by the admin's
  // `second`) shares nothing with anyone, whatever history it kept.
  if (local.current == 0 || peer.current == 0) return DataRelation::unrelated;
  if (local.current == peer.current) return DataRelation::same;
  // An admin's decision outranks the histories (it resolved their divergence).
  if (contains(local.discarded, peer.current)) return DataRelation::local_newer;
  if (contains(peer.discarded, local.current)) return DataRelation::peer_newer;
  const bool peer_moved_on = contains(peer.history, local.current);
  const bool local_moved_on = contains(local.history, peer.current);
  HM_ASSERT(!(peer_moved_on && local_moved_on));  // ids are never reused
  if (peer_moved_on) return DataRelation::peer_newer;
  if (local_moved_on) return DataRelation::local_newer;
  for (const std::uint64_t ancestor : local.history) {
    if (contains(peer.history, ancestor)) return DataRelation::diverged;
  }
  return DataRelation::unrelated;
}

}  // namespace

DataRelation compare(const GenerationInfo& local, const GenerationInfo& peer) {
  const DataRelation relation = compare_ids(local, peer);
  if (relation != DataRelation::diverged) return relation;
  // Seed 55793: a PRIM holding the lease lost its link and went on alone in a new
  // generation, but the witness, down, never recorded it: it acknowledged nothing,
  // was fenced, and its peer took over. Their meeting is no split brain: only the peer
  // told writers their data is stored. Only a divergence is reconsidered, so every
  // other answer stays what the ids alone say.
  const GenerationInfo local_point = is_unacknowledged_alone(local) ? as_parent(local) : local;
  const GenerationInfo peer_point = is_unacknowledged_alone(peer) ? as_parent(peer) : peer;
  return compare_ids(local_point, peer_point);
}

GenerationInfo start_new_generation(GenerationInfo info, io::Prng& random) {
  if (info.current != 0) info.history.insert(info.history.begin(), info.current);
  if (info.history.size() > kMaxGenerationHistory) info.history.resize(kMaxGenerationHistory);
  std::uint64_t fresh = 0;
  while (fresh == 0 || fresh == info.current || contains(info.history, fresh)) fresh = random.next_u64();
  info.current = fresh;
  info.changes_alone = 0;
  info.acknowledged_alone = false;
  info.paired = false;  // the peer never held this one
  return info;
}

GenerationInfo discard_generation(GenerationInfo info, std::uint64_t peer_generation) {
  HM_ASSERT(peer_generation != 0 && peer_generation != info.current);
  if (contains(info.discarded, peer_generation)) return info;
  info.discarded.insert(info.discarded.begin(), peer_generation);
  if (info.discarded.size() > kMaxDiscardedGenerations) info.discarded.resize(kMaxDiscardedGenerations);
  return info;
}

std::string why_not_promotable(const GenerationInfo& info) {
  if (info.current == 0) return "this node has no data yet (never synchronised)";
  if (canary_planted(ProtocolCanary::promote_stale_node)) return {};  // CANARY: outdated or inconsistent data serves
  if (!info.consistent) return "this node's data is inconsistent: a reintegration into it did not finish";
  if (info.outdated) return "this node's data is outdated: the peer acknowledged writes without it";
  return {};
}

bool may_promote_itself(const GenerationInfo& info) { return why_not_promotable(info).empty(); }

}  // namespace hamirror::core
