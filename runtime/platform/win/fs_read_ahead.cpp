// Read-ahead hints on Windows: there is no call that queues the reads of a file's
// ranges into the cache and returns (PrefetchVirtualMemory needs a mapping, and
// FILE_FLAG_SEQUENTIAL_SCAN only tunes the cache manager's own read-ahead), so a hint
// does nothing and the reads wait for the disk as they did.
#include "platform/platform.h"

namespace hamirror::platform {

void advise_will_read(const std::string& /*path*/, const std::vector<io::FileRange>& /*ranges*/) {}

}  // namespace hamirror::platform
