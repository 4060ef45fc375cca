// Planted on purpose, built only into hamirror_core_canary: a call to the OS clock
// that the symbol check must reject. It proves the check is not vacuous.
#include <ctime>

namespace hamirror::core::canary {
long planted_wall_clock_read() { return static_cast<long>(::time(nullptr)); }
}  // namespace hamirror::core::canary
