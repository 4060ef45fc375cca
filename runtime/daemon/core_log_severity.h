// The severity of a line the core logs (core::Node::Listener::on_log carries text
// only), also used for the write capture's lines: state changes are INFO unless they fence or find a split brain; the rest by
// the words the core uses for trouble. The phrases are the core's own (node.cpp,
// failover/, replication/, reintegration/); core_log_severity_test.cpp pins real lines.
#pragma once

#include <string_view>

#include "io/log_severity.h"

namespace hamirror::daemon {

io::Severity core_log_severity(std::string_view line);

}  // namespace hamirror::daemon
