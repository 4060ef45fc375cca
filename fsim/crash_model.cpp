#include "fsim/crash_model.h"

#include "io/assert.h"

namespace hamirror::fsim {
namespace {

CrashFate draw_fate(const CrashWeights& weights, bool can_tear, io::Prng& random) {
  const std::uint64_t tear = can_tear ? weights.tear : 0;
  const std::uint64_t total = std::uint64_t{weights.keep} + weights.drop + tear;
  HM_ASSERT(total > 0);
  const std::uint64_t pick = random.below(total);
  if (pick < weights.keep) return CrashFate::kept;
  if (pick < std::uint64_t{weights.keep} + weights.drop) return CrashFate::dropped;
  return CrashFate::torn;
}

}  // namespace

FileData settle_after_crash(const FileData& durable, std::span<const UnsyncedChange> changes,
                             const CrashWeights& weights, io::Prng& random, std::vector<ChangeFate>& fates) {
  HM_ASSERT(std::uint64_t{weights.keep} + weights.drop > 0);
  FileData data = durable;
  for (const auto& change : changes) {
    const bool can_tear = change.kind == UnsyncedChange::Kind::write && change.bytes.size() >= 2;
    ChangeFate fate{draw_fate(weights, can_tear, random), 0};
    const bool is_write = change.kind == UnsyncedChange::Kind::write;
    switch (fate.fate) {
      case CrashFate::kept:
        apply_change(data, change);
        fate.bytes_kept = is_write ? change.bytes.size() : 0;
        break;
      case CrashFate::dropped:
        break;
      case CrashFate::torn: {
        HM_ASSERT(can_tear);
        // Strictly between nothing and everything, so a torn write differs from both.
        fate.bytes_kept = static_cast<std::uint64_t>(random.between(1, static_cast<std::int64_t>(change.bytes.size()) - 1));
        data.write(change.bytes, fate.bytes_kept);
        break;
      }
    }
    fates.push_back(fate);
  }
  return data;
}

}  // namespace hamirror::fsim
