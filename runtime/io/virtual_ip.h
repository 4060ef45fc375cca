// The virtual IP held by the primary.
//
// Contract: add() makes the address answer on this node and announces the move to
// the LAN (gratuitous ARP where the OS does not do it itself); remove() withdraws it;
// both are idempotent (adding a held address or removing an absent one is ok).
// Callbacks run on the node's event loop, never inside the call.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "io/error.h"

namespace hamirror::io {

struct VipSpec {
  std::string address;    // "192.168.1.99"
  int prefix_length = 24;
  std::string interface_name;  // empty: the interface holding an address in the same subnet
};

class VirtualIp {
 public:
  using DoneFn = std::function<void(Error)>;
  using CheckFn = std::function<void(Result<bool>)>;  // true: held by this node
  virtual ~VirtualIp() = default;
  VirtualIp() = default;
  VirtualIp(const VirtualIp&) = delete;
  VirtualIp& operator=(const VirtualIp&) = delete;

  virtual void add(const VipSpec& vip, DoneFn done) = 0;
  virtual void remove(const VipSpec& vip, DoneFn done) = 0;
  virtual void check(const VipSpec& vip, CheckFn done) = 0;
};

}  // namespace hamirror::io
