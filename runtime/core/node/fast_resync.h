// Turns the activity record's resync plan (core/activity/resync_plan.h) into the input
// the reintegration engine takes (core/reintegration/resync_input.h). The node does the
// conversion so that the two areas never depend on each other; the rules are those of
// core/activity/README.md, "Converting to reintegration/resync_input.h".
#pragma once

#include <optional>
#include <string>

#include "core/activity/dirty_map.h"
#include "core/activity/resync_plan.h"
#include "core/reintegration/resync_input.h"

namespace hamirror::core {

// nullopt when the plan says "everything": only a full reintegration is right then.
std::optional<FastResyncInput> to_fast_resync_input(const ResyncPlan& plan);

// A node's marks travel in its hello (NodeHello::marks), sealed like the records on
// disk. Larger than this they travel as "everything" (a full reintegration).
constexpr std::size_t kMaxHelloMarksBytes = std::size_t{4} << 20;
io::Bytes seal_marks(const DirtyMap& marks);
// nullopt, with why, for bytes that are not sealed marks.
std::optional<DirtyMap> open_marks(io::ByteView sealed, std::string& why);

}  // namespace hamirror::core
