// <rfs async nbrei acl> with <replicated dir mode> (and <notreplicated path/> inside):
// the replicated directories. Each must be an absolute path for the node's platform,
// none may be listed twice or lie inside another.
#include <string>
#include <vector>

#include "config/element_reader.h"
#include "config/path_rules.h"
#include "config/userconfig_sections.h"

namespace hamirror::config::detail {
namespace {

struct CheckedDirectory {
  std::string comparable;  // comparable_path() of dir
  std::string written;     // as the user wrote it
  int line = 0;
};

void read_notreplicated(SectionContext& context, pugi::xml_node element, ReplicatedDirectory& out) {
  ElementReader reader(context.source, element, context.diagnostics);
  const auto path = reader.read_text("path", true);
  reader.finish();
  if (!path) return;
  if (const auto problem = relative_path_problem(*path, context.options.path_style)) {
    reader.error_at_value("path", *problem);
    return;
  }
  out.notreplicated.push_back(*path);
}

// Reads one <replicated>; returns false when it is not usable.
bool read_replicated(SectionContext& context, pugi::xml_node element, ReplicatedDirectory& out) {
  ElementReader reader(context.source, element, context.diagnostics);
  const auto dir = reader.read_text("dir", true);
  // Read-only on the secondary: the one mode hamirror implements.
  enum class Mode { read_only } mode = Mode::read_only;
  bool ok = reader.read_choice("mode", mode, {{"read_only", Mode::read_only}});
  reader.finish({"notreplicated"});
  for (const auto child : element.children("notreplicated")) read_notreplicated(context, child, out);
  if (!dir) return false;
  if (const auto problem = replicated_dir_problem(*dir, context.options.path_style)) {
    reader.error_at_value("dir", *problem);
    return false;
  }
  out.dir = *dir;
  return ok;
}

void check_overlaps(SectionContext& context, pugi::xml_node element, const CheckedDirectory& added,
                    const std::vector<CheckedDirectory>& earlier) {
  const auto report = [&](const std::string& problem) {
    report_value_error(context.source, element, "dir", problem, context.diagnostics);
  };
  for (const auto& other : earlier) {
    const auto line = std::to_string(other.line);
    if (other.comparable == added.comparable) {
      report("is listed twice (also on line " + line + ")");
    } else if (path_contains(other.comparable, added.comparable)) {
      report("lies inside dir=\"" + other.written + "\" (line " + line + "): replicated directories must not be nested");
    } else if (path_contains(added.comparable, other.comparable)) {
      report("contains dir=\"" + other.written + "\" (line " + line + "): replicated directories must not be nested");
    }
  }
}

}  // namespace

void read_rfs(SectionContext& context, pugi::xml_node rfs, RfsSettings& out) {
  ElementReader reader(context.source, rfs, context.diagnostics);
  reader.read_choice("async", out.async, {{"second", AsyncMode::second}, {"none", AsyncMode::none}});
  reader.read_int("nbrei", out.nbrei, 1, 64, "reintegration threads");
  reader.read_on_off("acl", out.acl);
  reader.finish({"replicated"});

  std::vector<CheckedDirectory> checked;
  for (const auto element : rfs.children("replicated")) {
    ReplicatedDirectory directory;
    if (!read_replicated(context, element, directory)) continue;
    const CheckedDirectory added{comparable_path(directory.dir, context.options.path_style), directory.dir,
                                 context.source.location_of(element).line};
    check_overlaps(context, element, added, checked);
    checked.push_back(added);
    out.directories.push_back(directory);
  }
  if (rfs.child("replicated").empty()) {
    context.diagnostics.error(reader.location(), "replicated",
                              "<rfs> declares no <replicated dir=\"...\"> directory: nothing would be replicated");
  }
}

}  // namespace hamirror::config::detail
