// Checks before mounting: /dev/fuse, the mount point, and a stale mount left by a
// crashed daemon ("Transport endpoint is not connected"), which is lazily unmounted.
#pragma once

#include <functional>
#include <string>

namespace hamirror::fuse {

// "" when `mount_point` can be mounted on (after recovering a stale mount, which is
// logged), else what is wrong and what to do.
std::string prepare_mount_point(const std::string& mount_point, const std::function<void(const std::string&)>& log);

}  // namespace hamirror::fuse
