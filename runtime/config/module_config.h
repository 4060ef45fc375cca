// The module's settings, as SafeKit's userconfig.xml "mirror" module writes them.
// Plain values: userconfig_parser.h fills them from the XML and checks them.
// ../shared/MIRROR-MODEL.md (in the project's shared notes) explains each setting.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace hamirror::config {

// <service defaultprim="...">: who becomes primary again after a reintegration.
struct DefaultPrim {
  enum class Kind { alone, lastprim, node };
  Kind kind = Kind::alone;  // alone: no automatic failback
  std::string node;         // the node's name when kind == node
  int line = 0;             // where it is written in userconfig.xml, for cross-file messages
};

struct ServiceSettings {
  DefaultPrim defaultprim;
  int maxloop = 3;                        // detector restarts/failovers allowed per loop_interval
  std::chrono::hours loop_interval{24};
  bool failover = true;                   // off: the secondary never takes over by itself
};

// <heartbeat name ident/>: one per network the nodes exchange heartbeats on.
struct HeartbeatNetwork {
  std::string name;
  std::string ident;   // "flow": this network also carries replication
  int line = 0;        // where it is declared in userconfig.xml, for cross-file messages
  bool carries_replication() const { return ident == "flow"; }
};

struct HeartSettings {
  std::chrono::milliseconds pulse{700};
  std::chrono::milliseconds timeout{30000};  // the peer is down when every network is silent this long
  std::vector<HeartbeatNetwork> networks;
};

// <virtual_addr addr where/>, inside <vip><interface_list><interface><real_interface>.
struct VirtualAddress {
  std::string addr;  // an IPv4 or IPv6 literal, or a name the checker could resolve
  // where="one_side_alias": only the primary holds the address (the only mode supported).
};

struct VipInterface {
  bool check = true;       // check="on|off": watch the interface's link
  bool arpreroute = true;  // arpreroute="on|off": gratuitous ARP after the address moves
  std::vector<VirtualAddress> addresses;
};

// <proc name atleast action class/> inside <errd polltimer>.
enum class ProcAction { restart, stopstart, stop };
enum class ProcClass { prim, both, sec };

struct WatchedProcess {
  std::string name;
  int atleast = 1;  // fewer running instances than this is a failure
  ProcAction action = ProcAction::restart;
  ProcClass process_class = ProcClass::prim;
};

struct ErrdSettings {
  std::chrono::seconds polltimer{10};
  std::vector<WatchedProcess> processes;
};

// <rfs async nbrei> with <replicated dir mode/>.
enum class AsyncMode {
  none,    // the secondary writes before it acknowledges
  second,  // the secondary acknowledges on receipt and writes afterwards
};

struct ReplicatedDirectory {
  std::string dir;                         // absolute, as written (see path_rules.h)
  std::vector<std::string> notreplicated;  // <notreplicated path/>: relative to dir
  // mode="read_only": read-only on the secondary (the only mode supported).
};

struct RfsSettings {
  AsyncMode async = AsyncMode::second;
  int nbrei = 3;     // reintegration threads
  bool acl = false;  // acl="on|off": replicate ACLs
  std::vector<ReplicatedDirectory> directories;
};

// <user nicestoptimeout forcestoptimeout logging>.
struct UserSettings {
  std::chrono::seconds nicestoptimeout{300};
  std::chrono::seconds forcestoptimeout{300};
  bool log_script_output = true;  // logging="userlog" (true) or "none"
};

struct ModuleConfig {
  ServiceSettings service;
  HeartSettings heart;
  std::vector<VipInterface> vip;  // empty: no virtual IP
  ErrdSettings errd;
  RfsSettings rfs;
  UserSettings user;
};

}  // namespace hamirror::config
