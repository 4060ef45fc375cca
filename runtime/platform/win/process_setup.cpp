#include "platform/platform.h"

namespace hamirror::platform {

// Windows has no SIGPIPE: a write to a reset connection simply fails.
void prepare_process_for_io() {}

// The Windows heap decommits large free blocks itself.
void release_free_memory() {}

}  // namespace hamirror::platform
