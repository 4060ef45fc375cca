#include "config/text_file.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace hamirror::config {

std::optional<std::string> read_config_file(const std::string& path, Diagnostics& diagnostics) {
  const Location where{path, 0, 0};
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) {
    diagnostics.error(where, "", "cannot read the file: it does not exist");
    return std::nullopt;
  }
  if (std::filesystem::is_directory(status)) {
    diagnostics.error(where, "", "cannot read the file: it is a directory");
    return std::nullopt;
  }
  const auto size = std::filesystem::file_size(path, error);
  if (!error && size > kMaxConfigFileBytes) {
    diagnostics.error(where, "", "is " + std::to_string(size) + " bytes long: a configuration file has at most " +
                                     std::to_string(kMaxConfigFileBytes));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.error(where, "", "cannot open the file for reading");
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    diagnostics.error(where, "", "cannot read the file: read error");
    return std::nullopt;
  }
  return text;
}

}  // namespace hamirror::config
