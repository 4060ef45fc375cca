// <errd polltimer> with <proc name atleast action class/>: the watched processes.
#include "config/element_reader.h"
#include "config/userconfig_sections.h"
#include "config/values.h"

namespace hamirror::config::detail {
namespace {

void read_proc(SectionContext& context, pugi::xml_node element, ErrdSettings& out) {
  ElementReader reader(context.source, element, context.diagnostics);
  WatchedProcess process;
  const auto name = reader.read_text("name", true);
  bool ok = name.has_value();
  ok = reader.read_int("atleast", process.atleast, 1, 10000, "processes") && ok;
  ok = reader.read_choice("action", process.action,
                          {{"restart", ProcAction::restart}, {"stopstart", ProcAction::stopstart}, {"stop", ProcAction::stop}}) &&
       ok;
  ok = reader.read_choice("class", process.process_class,
                          {{"prim", ProcClass::prim}, {"both", ProcClass::both}, {"sec", ProcClass::sec}}) &&
       ok;
  reader.finish();
  if (name && trim(*name).empty()) {
    reader.error_at_value("name", "is empty: write the name of the process to watch");
    return;
  }
  if (name && is_placeholder(*name)) {
    reader.error_at_value("name", "is a placeholder from SafeKit's sample: write the name of the process to watch");
    return;
  }
  if (!ok) return;
  process.name = *name;
  out.processes.push_back(process);
}

}  // namespace

void read_errd(SectionContext& context, pugi::xml_node errd, ErrdSettings& out) {
  ElementReader reader(context.source, errd, context.diagnostics);
  reader.read_duration("polltimer", out.polltimer, 1, 3600, "seconds");
  reader.finish({"proc"});
  for (const auto proc : errd.children("proc")) read_proc(context, proc, out);
}

}  // namespace hamirror::config::detail
