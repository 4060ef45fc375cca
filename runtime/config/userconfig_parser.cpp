#include "config/userconfig_parser.h"

#include <string>

#include "config/element_reader.h"
#include "config/userconfig_sections.h"
#include "config/values.h"
#include "config/xml_source.h"

namespace hamirror::config {
namespace {

using detail::SectionContext;

void read_defaultprim(ElementReader& reader, DefaultPrim& out) {
  const auto text = reader.read_text("defaultprim");
  if (!text) return;
  if (*text == "alone") {
    out = {DefaultPrim::Kind::alone, "", 0};
  } else if (*text == "lastprim") {
    out = {DefaultPrim::Kind::lastprim, "", 0};
  } else if (is_valid_node_name(*text)) {
    out = {DefaultPrim::Kind::node, *text, reader.location().line};
  } else {
    reader.error_at_value("defaultprim", "is neither alone, lastprim nor a node name (letters, digits, '.', '_', '-')");
  }
}

void read_user(SectionContext& context, pugi::xml_node user, UserSettings& out) {
  ElementReader reader(context.source, user, context.diagnostics);
  reader.read_duration("nicestoptimeout", out.nicestoptimeout, 0, 86400, "seconds");
  reader.read_duration("forcestoptimeout", out.forcestoptimeout, 0, 86400, "seconds");
  reader.read_choice("logging", out.log_script_output, {{"userlog", true}, {"none", false}});
  reader.finish();
}

void read_service(SectionContext& context, pugi::xml_node service, ModuleConfig& out) {
  ElementReader reader(context.source, service, context.diagnostics);
  if (const auto mode = reader.read_text("mode", true); mode && *mode != "mirror") {
    reader.error_at_value("mode", "is not supported: hamirror runs mirror modules only (mode=\"mirror\")");
  }
  read_defaultprim(reader, out.service.defaultprim);
  reader.read_int("maxloop", out.service.maxloop, 0, 1000, "restarts or failovers");
  reader.read_duration("loop_interval", out.service.loop_interval, 1, 8760, "hours");
  reader.read_on_off("failover", out.service.failover);
  reader.finish({"heart", "vip", "errd", "rfs", "user"});

  auto& diagnostics = context.diagnostics;
  const auto heart = single_child(context.source, service, "heart", diagnostics);
  if (heart) {
    detail::read_heart(context, heart, out.heart);
  } else {
    diagnostics.error(reader.location(), "heart", "<service> has no <heart>: declare at least one <heartbeat> network");
  }
  if (const auto vip = single_child(context.source, service, "vip", diagnostics)) detail::read_vip(context, vip, out.vip);
  if (const auto errd = single_child(context.source, service, "errd", diagnostics)) detail::read_errd(context, errd, out.errd);
  const auto rfs = single_child(context.source, service, "rfs", diagnostics);
  if (rfs) {
    detail::read_rfs(context, rfs, out.rfs);
  } else {
    diagnostics.error(reader.location(), "rfs", "<service> has no <rfs>: declare the <replicated> directories");
  }
  if (const auto user = single_child(context.source, service, "user", diagnostics)) read_user(context, user, out.user);
}

}  // namespace

UserconfigResult parse_userconfig(std::string_view text, const std::string& file, const UserconfigOptions& options) {
  UserconfigResult result;
  auto& diagnostics = result.diagnostics;
  const auto source = XmlSource::parse(text, file, diagnostics);
  if (!source) return result;

  const auto root = source->root();
  if (std::string(root.name()) != "safe") {
    diagnostics.error(source->location_of(root), root.name(),
                      "the root element is <" + std::string(root.name()) + ">: a userconfig.xml starts with <safe>");
    return result;
  }
  ElementReader safe(*source, root, diagnostics);
  safe.finish({"service"});
  const auto service = single_child(*source, root, "service", diagnostics);
  if (!service) {
    diagnostics.error(source->location_of(root), "service", "<safe> has no <service mode=\"mirror\">");
    return result;
  }
  ModuleConfig config;
  SectionContext context{*source, diagnostics, options};
  read_service(context, service, config);
  diagnostics.sort_by_position();
  if (!diagnostics.has_errors()) result.config = std::move(config);
  return result;
}

}  // namespace hamirror::config
