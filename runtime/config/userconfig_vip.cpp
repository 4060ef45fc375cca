// <vip><interface_list><interface check arpreroute><real_interface>
//   <virtual_addr addr where/> ... as SafeKit nests it.
#include <map>
#include <string>

#include "config/address.h"
#include "config/element_reader.h"
#include "config/userconfig_sections.h"
#include "config/values.h"

namespace hamirror::config::detail {
namespace {

// Why `addr` cannot be the virtual IP, or an empty string when it can.
std::string address_problem(const std::string& addr, const UserconfigOptions& options) {
  if (addr.empty()) return "is empty: write the virtual IP address";
  if (is_placeholder(addr)) {
    return "is a placeholder from SafeKit's sample, not an address: write the virtual IP "
           "(an unused IPv4 or IPv6 address in the nodes' subnet)";
  }
  if (const auto ip = parse_ip_literal(addr)) {
    const auto problem = virtual_ip_problem(*ip);
    return problem ? *problem + ", which other machines cannot reach as a virtual IP" : std::string();
  }
  if (!options.resolves) return "is not an IPv4 or IPv6 address";
  if (!is_host_name(addr)) return "is neither an IPv4 or IPv6 address nor a host name";
  if (!options.resolves(addr)) return "is not an IPv4 or IPv6 address, and no address was found for this name";
  return {};
}

void read_virtual_addr(SectionContext& context, pugi::xml_node element, std::map<std::string, int>& lines,
                       VipInterface& out) {
  ElementReader reader(context.source, element, context.diagnostics);
  const auto addr = reader.read_text("addr", true);
  // Only the primary holds the address: the one mode hamirror implements.
  enum class Where { one_side_alias } where = Where::one_side_alias;
  reader.read_choice("where", where, {{"one_side_alias", Where::one_side_alias}});
  reader.finish();
  if (!addr) return;
  const auto problem = address_problem(*addr, context.options);
  if (!problem.empty()) {
    reader.error_at_value("addr", problem);
    return;
  }
  const int line = reader.location().line;
  if (const auto [it, inserted] = lines.emplace(*addr, line); !inserted) {
    reader.error_at_value("addr", "is declared twice (first on line " + std::to_string(it->second) + ")");
    return;
  }
  out.addresses.push_back({*addr});
}

}  // namespace

void read_vip(SectionContext& context, pugi::xml_node vip, std::vector<VipInterface>& out) {
  auto& diagnostics = context.diagnostics;
  ElementReader vip_reader(context.source, vip, diagnostics);
  vip_reader.finish({"interface_list"});
  const auto list = single_child(context.source, vip, "interface_list", diagnostics);
  ElementReader list_reader(context.source, list, diagnostics);
  if (list) list_reader.finish({"interface"});

  std::map<std::string, int> lines;
  bool any_address = false;
  for (const auto element : list.children("interface")) {
    ElementReader reader(context.source, element, diagnostics);
    VipInterface interface_settings;
    reader.read_on_off("check", interface_settings.check);
    reader.read_on_off("arpreroute", interface_settings.arpreroute);
    reader.finish({"real_interface"});
    for (const auto real : element.children("real_interface")) {
      ElementReader real_reader(context.source, real, diagnostics);
      real_reader.finish({"virtual_addr"});
      for (const auto addr : real.children("virtual_addr")) {
        any_address = true;
        read_virtual_addr(context, addr, lines, interface_settings);
      }
    }
    out.push_back(interface_settings);
  }
  if (!any_address) {
    diagnostics.error(vip_reader.location(), "virtual_addr",
                      "<vip> declares no <virtual_addr addr=\"...\"> (inside <interface_list><interface><real_interface>)");
  }
}

}  // namespace hamirror::config::detail
