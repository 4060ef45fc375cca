#include <csignal>

#include "platform/platform.h"

namespace hamirror::platform {

void prepare_process_for_io() { std::signal(SIGPIPE, SIG_IGN); }

}  // namespace hamirror::platform
