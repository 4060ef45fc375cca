// The daemon's lock on its state_dir: two daemons on one state_dir would both drive
// the same copy and the same generation record. The lock is held by the open file
// itself (flock on POSIX, an unshared handle on Windows), so a daemon killed with -9
// leaves no stale lock: the OS drops it with the process. The file holds the pid, for
// the message the second daemon prints. pid_lock_posix.cpp / pid_lock_win.cpp.
#pragma once

#include <memory>
#include <string>

namespace hamirror::daemon {

class PidLock {
 public:
  virtual ~PidLock() = default;
};

struct PidLockResult {
  std::unique_ptr<PidLock> lock;  // null: not acquired
  std::string error;              // why, naming the file and the running pid when known
};

PidLockResult acquire_pid_lock(const std::string& path);

}  // namespace hamirror::daemon
