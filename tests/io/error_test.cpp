#include "io/error.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string>

namespace hamirror::io {
namespace {

TEST(Error, errno_values_map_to_their_portable_error) {
  EXPECT_EQ(error_from_errno(0), Error::ok);
  EXPECT_EQ(error_from_errno(ENOENT), Error::not_found);
  EXPECT_EQ(error_from_errno(ENOSPC), Error::no_space);
  EXPECT_EQ(error_from_errno(EIO), Error::io_error);
  EXPECT_EQ(error_from_errno(EPIPE), Error::connection_reset);
  EXPECT_EQ(error_from_errno(EROFS), Error::read_only);
  EXPECT_EQ(error_from_errno(-12345), Error::unknown);
}

TEST(Error, win32_codes_map_to_their_portable_error) {
  EXPECT_EQ(error_from_win32(0), Error::ok);
  EXPECT_EQ(error_from_win32(2), Error::not_found);        // ERROR_FILE_NOT_FOUND
  EXPECT_EQ(error_from_win32(112), Error::no_space);       // ERROR_DISK_FULL
  EXPECT_EQ(error_from_win32(5), Error::permission_denied);  // ERROR_ACCESS_DENIED
  EXPECT_EQ(error_from_win32(10061), Error::connection_refused);
  EXPECT_EQ(error_from_win32(1060), Error::not_found);     // ERROR_SERVICE_DOES_NOT_EXIST
  EXPECT_EQ(error_from_win32(99999), Error::unknown);
}

TEST(Error, every_error_has_its_own_name) {
  std::set<std::string> names;
  for (int value = 0; value <= static_cast<int>(Error::out_of_memory); ++value) {
    const auto name = std::string(error_name(static_cast<Error>(value)));
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
  }
  EXPECT_EQ(error_name(Error::not_found), "not_found");
}

}  // namespace
}  // namespace hamirror::io
