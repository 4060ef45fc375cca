// Internal to the userconfig parser: one reader per section of <service>, each in its
// own file. Each reports its problems and fills what it could read.
#pragma once

#include <pugixml.hpp>

#include "config/diagnostics.h"
#include "config/module_config.h"
#include "config/userconfig_parser.h"
#include "config/xml_source.h"

namespace hamirror::config::detail {

struct SectionContext {
  const XmlSource& source;
  Diagnostics& diagnostics;
  const UserconfigOptions& options;
};

void read_heart(SectionContext& context, pugi::xml_node heart, HeartSettings& out);
void read_vip(SectionContext& context, pugi::xml_node vip, std::vector<VipInterface>& out);
void read_errd(SectionContext& context, pugi::xml_node errd, ErrdSettings& out);
void read_rfs(SectionContext& context, pugi::xml_node rfs, RfsSettings& out);

}  // namespace hamirror::config::detail
