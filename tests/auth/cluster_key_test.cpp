#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "auth/cluster_key.h"

namespace hamirror::auth {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed even when the test fails.
class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;  // test scaffolding only: a unique directory name
    dir_ = fs::temp_directory_path() / ("hamirror-key-test-" + std::to_string(random()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write_text(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  fs::path dir_;
};

TEST_F(KeyFileTest, a_generated_key_is_written_and_loads_back) {
  const auto key = generate_key();
  ASSERT_TRUE(key.has_value());
  ASSERT_EQ(write_key_file(path("cluster.key"), *key, false), "");
  const auto loaded = load_key(path("cluster.key"));
  ASSERT_TRUE(loaded.key.has_value()) << loaded.error;
  EXPECT_EQ(loaded.key->bytes, key->bytes);
  EXPECT_EQ(loaded.warning, "");
}

TEST_F(KeyFileTest, two_generated_keys_differ) {
  EXPECT_NE(generate_key()->bytes, generate_key()->bytes);
}

TEST_F(KeyFileTest, an_existing_key_file_is_replaced_only_when_asked) {
  const auto first = *generate_key();
  const auto second = *generate_key();
  ASSERT_EQ(write_key_file(path("cluster.key"), first, false), "");
  const std::string refused = write_key_file(path("cluster.key"), second, false);
  EXPECT_NE(refused.find("already exists"), std::string::npos) << refused;
  EXPECT_NE(refused.find("--force"), std::string::npos) << refused;
  EXPECT_EQ(load_key(path("cluster.key")).key->bytes, first.bytes);
  ASSERT_EQ(write_key_file(path("cluster.key"), second, true), "");
  EXPECT_EQ(load_key(path("cluster.key")).key->bytes, second.bytes);
}

TEST_F(KeyFileTest, a_missing_file_names_the_path_and_says_how_to_make_a_key) {
  const auto loaded = load_key(path("absent.key"));
  EXPECT_FALSE(loaded.key.has_value());
  EXPECT_NE(loaded.error.find(path("absent.key")), std::string::npos) << loaded.error;
  EXPECT_NE(loaded.error.find("hamirror genkey"), std::string::npos) << loaded.error;
}

TEST_F(KeyFileTest, a_cut_key_is_refused_with_its_length) {
  write_text("short.key", std::string(62, 'a') + "\n");
  const auto loaded = load_key(path("short.key"));
  EXPECT_FALSE(loaded.key.has_value());
  EXPECT_NE(loaded.error.find("62 hex digits instead of 64"), std::string::npos) << loaded.error;
  EXPECT_NE(loaded.error.find(path("short.key")), std::string::npos) << loaded.error;
}

TEST_F(KeyFileTest, a_character_that_is_not_hex_is_refused_with_its_position) {
  write_text("bad.key", std::string(10, 'a') + "g" + std::string(53, 'a'));
  const auto loaded = load_key(path("bad.key"));
  EXPECT_FALSE(loaded.key.has_value());
  EXPECT_NE(loaded.error.find("character 11 is not a hex digit"), std::string::npos) << loaded.error;
}

TEST_F(KeyFileTest, surrounding_whitespace_and_upper_case_digits_are_accepted) {
  write_text("spaced.key", "  " + std::string(64, 'F') + "\r\n\n");
  const auto loaded = load_key(path("spaced.key"));
  ASSERT_TRUE(loaded.key.has_value()) << loaded.error;
  EXPECT_EQ(loaded.key->bytes[0], 0xff);
  EXPECT_EQ(to_hex(*loaded.key), std::string(64, 'f'));
}

TEST_F(KeyFileTest, a_huge_file_is_not_read_as_a_key) {
  write_text("huge.key", std::string(100000, 'a'));
  const auto loaded = load_key(path("huge.key"));
  EXPECT_FALSE(loaded.key.has_value());
  EXPECT_NE(loaded.error.find("too large"), std::string::npos) << loaded.error;
}

#ifndef _WIN32  // POSIX permission bits; Windows files take their folder's ACL
TEST_F(KeyFileTest, the_key_file_is_private_to_its_owner) {
  ASSERT_EQ(write_key_file(path("cluster.key"), *generate_key(), false), "");
  EXPECT_EQ(fs::status(path("cluster.key")).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(KeyFileTest, a_key_readable_by_others_loads_with_a_warning_saying_how_to_fix_it) {
  ASSERT_EQ(write_key_file(path("cluster.key"), *generate_key(), false), "");
  fs::permissions(path("cluster.key"), fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  const auto loaded = load_key(path("cluster.key"));
  EXPECT_TRUE(loaded.key.has_value());
  EXPECT_NE(loaded.warning.find("mode 0644"), std::string::npos) << loaded.warning;
  EXPECT_NE(loaded.warning.find("chmod 600"), std::string::npos) << loaded.warning;
}

TEST_F(KeyFileTest, replacing_a_key_makes_the_file_private_again) {
  ASSERT_EQ(write_key_file(path("cluster.key"), *generate_key(), false), "");
  fs::permissions(path("cluster.key"), fs::perms::others_read, fs::perm_options::add);
  ASSERT_EQ(write_key_file(path("cluster.key"), *generate_key(), true), "");
  EXPECT_EQ(fs::status(path("cluster.key")).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}
#endif

}  // namespace
}  // namespace hamirror::auth
