// The one table from io::Error to the errno an application sees.
#pragma once

#include "io/error.h"

namespace hamirror::fuse {

// A positive errno for every error (never 0: a failure must never look like success);
// 0 for io::Error::ok.
int errno_from_error(io::Error error);

}  // namespace hamirror::fuse
