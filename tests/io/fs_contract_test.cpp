#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "tests/io/await.h"
#include "tests/io/backend_harness.h"

namespace hamirror::test {
namespace {

// Synchronous-looking wrappers over node A's file system, for readable cases.
class FileContract : public ContractTest {
 protected:
  io::FileSystem& fs() { return a().fs; }
  std::string path(const std::string& name) { return io::join_path(harness().scratch_dir(), name); }

  io::Result<io::FileHandle> open(const std::string& name, io::OpenFlags flags) {
    return await<io::Result<io::FileHandle>>(harness(), [&](auto done) { fs().open(path(name), flags, done); });
  }
  io::FileHandle create(const std::string& name) {
    auto file = open(name, {.read = true, .write = true, .create = true, .exclusive = false, .truncate = true});
    EXPECT_TRUE(file.ok()) << io::error_name(file.error());
    return file.ok() ? file.value() : io::FileHandle{};
  }
  io::Result<std::uint64_t> write(io::FileHandle file, std::uint64_t offset, const std::string& text) {
    return await<io::Result<std::uint64_t>>(harness(), [&](auto done) { fs().write(file, offset, io::as_bytes(text), done); });
  }
  std::string read(io::FileHandle file, std::uint64_t offset, std::uint64_t size) {
    auto data = await<io::Result<io::Bytes>>(harness(), [&](auto done) { fs().read(file, offset, size, done); });
    EXPECT_TRUE(data.ok()) << io::error_name(data.error());
    return data.ok() ? std::string(data->begin(), data->end()) : std::string();
  }
  io::Error call(const std::function<void(io::FileSystem::DoneFn)>& start) { return await<io::Error>(harness(), start); }
  io::Error close(io::FileHandle file) { return call([&](auto done) { fs().close(file, done); }); }
  io::Result<io::FileStat> stat(const std::string& name) {
    return await<io::Result<io::FileStat>>(harness(), [&](auto done) { fs().stat(path(name), done); });
  }
  void put(const std::string& name, const std::string& text) {
    auto file = create(name);
    ASSERT_TRUE(write(file, 0, text).ok());
    ASSERT_EQ(close(file), io::Error::ok);
  }
  std::string contents(const std::string& name) {
    auto file = open(name, {});
    EXPECT_TRUE(file.ok()) << name << ": " << io::error_name(file.error());
    if (!file.ok()) return "";
    const std::string text = read(*file, 0, 1 << 20);
    EXPECT_EQ(close(*file), io::Error::ok);
    return text;
  }
};

TEST_P(FileContract, written_bytes_read_back_at_their_offsets) {
  auto file = create("data");
  ASSERT_EQ(write(file, 0, "hello world").value(), 11u);
  ASSERT_EQ(write(file, 6, "there").value(), 5u);
  EXPECT_EQ(read(file, 0, 100), "hello there") << "a read past the end returns what exists";
  EXPECT_EQ(read(file, 6, 3), "the");
  EXPECT_EQ(read(file, 50, 10), "");
  EXPECT_EQ(call([&](auto done) { fs().fsync(file, done); }), io::Error::ok);
  EXPECT_EQ(close(file), io::Error::ok);
}

TEST_P(FileContract, a_shared_write_writes_its_slice_and_leaves_the_shared_bytes_as_they_were) {
  auto file = create("shared");
  const io::SharedBytes whole(io::Bytes{'a', 'b', 'c', 'd', 'e', 'f'});
  auto written = await<io::Result<std::uint64_t>>(harness(), [&](auto done) { fs().write_shared(file, 2, whole.slice(1, 3), done); });
  ASSERT_TRUE(written.ok()) << io::error_name(written.error());
  EXPECT_EQ(*written, 3u);
  EXPECT_EQ(read(file, 0, 10), std::string("\0\0bcd", 5));
  EXPECT_EQ(io::as_text(whole), "abcdef");
  EXPECT_EQ(close(file), io::Error::ok);
}

TEST_P(FileContract, read_ranges_reads_each_range_under_one_open_with_its_stat_and_cuts_at_the_end) {
  put("ranges", "hello world");
  auto read = await<io::Result<io::RangesRead>>(harness(), [&](auto done) {
    fs().read_ranges(path("ranges"), {{0, 5}, {6, 100}, {50, 10}, {11, 1}, {2, 2}}, done);
  });
  ASSERT_TRUE(read.ok()) << io::error_name(read.error());
  EXPECT_EQ(read->stat.kind, io::FileKind::regular);
  EXPECT_EQ(read->stat.size_bytes, 11u);
  EXPECT_EQ(read->stat.mode, stat("ranges").value().mode);
  ASSERT_EQ(read->chunks.size(), 5u) << "one chunk per range, in order";
  const auto text = [&](std::size_t i) { return std::string(read->chunks[i].begin(), read->chunks[i].end()); };
  EXPECT_EQ(text(0), "hello");
  EXPECT_EQ(text(1), "world") << "cut at the end of the file";
  EXPECT_EQ(text(2), "") << "past the end: nothing";
  EXPECT_EQ(text(3), "");
  EXPECT_EQ(text(4), "ll");
  EXPECT_EQ(contents("ranges"), "hello world");
  EXPECT_EQ(call([&](auto done) { fs().unlink(path("ranges"), done); }), io::Error::ok);
}

TEST_P(FileContract, read_ranges_of_a_missing_file_or_a_directory_fails_and_reads_nothing) {
  auto missing = await<io::Result<io::RangesRead>>(harness(), [&](auto done) { fs().read_ranges(path("nothing"), {{0, 4}}, done); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), io::Error::not_found);
  ASSERT_EQ(call([&](auto done) { fs().mkdir(path("folder"), done); }), io::Error::ok);
  auto folder = await<io::Result<io::RangesRead>>(harness(), [&](auto done) { fs().read_ranges(path("folder"), {{0, 4}}, done); });
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.error(), io::Error::is_directory);
  EXPECT_EQ(call([&](auto done) { fs().rmdir(path("folder"), done); }), io::Error::ok) << "nothing left open in it";
}

TEST_P(FileContract, write_ranges_writes_each_range_under_one_open_and_keeps_the_rest_of_the_file) {
  put("ranges", "hello world");
  const io::SharedBytes bytes = io::SharedBytes::copy_of(io::as_bytes("JWx!"));
  const io::Error written = call([&](auto done) {
    fs().write_ranges(path("ranges"), {{0, bytes.slice(0, 1)}, {6, bytes.slice(1, 1)}, {13, bytes.slice(2, 2)}}, done);
  });
  ASSERT_EQ(written, io::Error::ok) << io::error_name(written);
  EXPECT_EQ(contents("ranges"), std::string("Jello World\0\0x!", 15)) << "in place, past the end with zeros between";
}

TEST_P(FileContract, write_ranges_to_a_missing_file_or_a_directory_fails_and_creates_nothing) {
  const io::SharedBytes bytes = io::SharedBytes::copy_of(io::as_bytes("x"));
  EXPECT_EQ(call([&](auto done) { fs().write_ranges(path("nothing"), {{0, bytes}}, done); }), io::Error::not_found);
  EXPECT_EQ(stat("nothing").error(), io::Error::not_found) << "never created";
  ASSERT_EQ(call([&](auto done) { fs().mkdir(path("folder"), done); }), io::Error::ok);
  EXPECT_NE(call([&](auto done) { fs().write_ranges(path("folder"), {{0, bytes}}, done); }), io::Error::ok);
  EXPECT_EQ(call([&](auto done) { fs().rmdir(path("folder"), done); }), io::Error::ok) << "nothing left open in it";
}

TEST_P(FileContract, a_read_ahead_hint_changes_nothing_and_ignores_what_it_cannot_read) {
  put("hinted", "hello world");
  ASSERT_EQ(call([&](auto done) { fs().mkdir(path("folder"), done); }), io::Error::ok);
  fs().will_read({{.path = path("hinted"), .ranges = {{0, 5}, {6, 100}, {1 << 20, 10}, {2, UINT64_MAX - 2}}},
                  {.path = path("nothing"), .ranges = {{0, 4}}},
                  {.path = path("folder"), .ranges = {{0, 4}}}});
  fs().will_read({});
  auto read = await<io::Result<io::RangesRead>>(harness(), [&](auto done) { fs().read_ranges(path("hinted"), {{0, 5}, {6, 5}}, done); });
  ASSERT_TRUE(read.ok()) << io::error_name(read.error());
  EXPECT_EQ(std::string(read->chunks[0].begin(), read->chunks[0].end()), "hello");
  EXPECT_EQ(std::string(read->chunks[1].begin(), read->chunks[1].end()), "world");
  EXPECT_EQ(stat("hinted").value().size_bytes, 11u);
  EXPECT_EQ(stat("nothing").error(), io::Error::not_found) << "a hint creates nothing";
  EXPECT_EQ(call([&](auto done) { fs().rmdir(path("folder"), done); }), io::Error::ok);
}

TEST_P(FileContract, a_write_batch_writes_its_ranges_in_order_and_stops_at_the_first_failure) {
  auto file = create("batched");
  auto range = [](std::uint64_t offset, const std::string& text) {
    return io::RangeWrite{offset, io::SharedBytes::copy_of(io::as_bytes(text))};
  };
  auto batch = [&](io::FileHandle handle, std::vector<io::RangeWrite> writes,
                   io::FileSystem::AfterBatch then = io::FileSystem::AfterBatch::nothing) {
    std::optional<io::BatchWritten> out;
    fs().write_batch(handle, std::move(writes), then, [&out](io::BatchWritten written) { out = written; });
    EXPECT_TRUE(harness().run_until([&] { return out.has_value(); }, 5000));
    return out.value_or(io::BatchWritten{0, io::Error::timed_out});
  };
  const io::BatchWritten all = batch(file, {range(0, "hello world"), range(6, "there"), range(13, "!")});
  EXPECT_EQ(all.count, 3u);
  EXPECT_EQ(all.error, io::Error::ok);
  EXPECT_EQ(read(file, 0, 100), std::string("hello there\0\0!", 14)) << "in order, the gap filled with zeros";
  const io::BatchWritten synced = batch(file, {range(0, "H"), range(14, "?")}, io::FileSystem::AfterBatch::fsync);
  EXPECT_EQ(synced.count, 2u);
  EXPECT_EQ(synced.error, io::Error::ok) << "the writes, then the fsync";
  EXPECT_EQ(close(file), io::Error::ok);
  auto read_only = open("batched", {});
  ASSERT_TRUE(read_only.ok());
  const io::BatchWritten refused = batch(*read_only, {range(0, "x"), range(1, "y")}, io::FileSystem::AfterBatch::fsync);
  EXPECT_EQ(refused.count, 0u);
  EXPECT_NE(refused.error, io::Error::ok) << "a handle open only to read";
  EXPECT_EQ(close(*read_only), io::Error::ok);
  EXPECT_EQ(contents("batched"), std::string("Hello there\0\0!?", 15));
}

TEST_P(FileContract, writing_past_the_end_fills_the_gap_with_zeros) {
  auto file = create("sparse");
  ASSERT_TRUE(write(file, 4, "x").ok());
  EXPECT_EQ(read(file, 0, 10), std::string("\0\0\0\0x", 5));
  EXPECT_EQ(close(file), io::Error::ok);
}

TEST_P(FileContract, opening_a_missing_file_is_not_found_and_exclusive_create_of_an_existing_one_fails) {
  EXPECT_EQ(open("missing", {}).error(), io::Error::not_found);
  put("present", "x");
  EXPECT_EQ(open("present", {.read = true, .write = true, .create = true, .exclusive = true, .truncate = false}).error(),
            io::Error::already_exists);
  auto fresh = open("fresh", {.read = true, .write = true, .create = true, .exclusive = true, .truncate = false});
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(close(*fresh), io::Error::ok);
}

TEST_P(FileContract, truncate_and_stat_report_the_new_size) {
  put("t", "0123456789");
  auto file = open("t", {.read = true, .write = true});
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(call([&](auto done) { fs().truncate(*file, 4, done); }), io::Error::ok);
  auto fstat = await<io::Result<io::FileStat>>(harness(), [&](auto done) { fs().fstat(*file, done); });
  ASSERT_TRUE(fstat.ok());
  EXPECT_EQ(fstat->size_bytes, 4u);
  EXPECT_EQ(fstat->kind, io::FileKind::regular);
  EXPECT_EQ(close(*file), io::Error::ok);
  EXPECT_EQ(contents("t"), "0123");
}

TEST_P(FileContract, rename_replaces_the_target_and_the_source_disappears) {
  put("old", "new contents");
  put("target", "old contents");
  EXPECT_EQ(call([&](auto done) { fs().rename(path("old"), path("target"), done); }), io::Error::ok);
  EXPECT_EQ(contents("target"), "new contents");
  EXPECT_EQ(stat("old").error(), io::Error::not_found);
  EXPECT_EQ(call([&](auto done) { fs().rename(path("nothing"), path("x"), done); }), io::Error::not_found);
}

TEST_P(FileContract, directories_list_sorted_with_kinds_and_refuse_rmdir_while_not_empty) {
  EXPECT_EQ(call([&](auto done) { fs().mkdir(path("dir"), done); }), io::Error::ok);
  EXPECT_EQ(call([&](auto done) { fs().mkdir(path("dir"), done); }), io::Error::already_exists);
  put("dir/b", "1");
  put("dir/a", "2");
  EXPECT_EQ(call([&](auto done) { fs().mkdir(path("dir/sub"), done); }), io::Error::ok);
  auto listed = await<io::Result<std::vector<io::DirEntry>>>(harness(), [&](auto done) { fs().readdir(path("dir"), done); });
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed.value(), (std::vector<io::DirEntry>{{"a", io::FileKind::regular},
                                                       {"b", io::FileKind::regular},
                                                       {"sub", io::FileKind::directory}}));
  EXPECT_EQ(stat("dir").value().kind, io::FileKind::directory);
  EXPECT_EQ(call([&](auto done) { fs().rmdir(path("dir"), done); }), io::Error::not_empty);
  EXPECT_EQ(call([&](auto done) { fs().fsync_dir(path("dir"), done); }), io::Error::ok);
  EXPECT_EQ(call([&](auto done) { fs().unlink(path("dir/a"), done); }), io::Error::ok);
  EXPECT_EQ(call([&](auto done) { fs().unlink(path("dir/a"), done); }), io::Error::not_found);
  EXPECT_EQ(call([&](auto done) { fs().unlink(path("dir/b"), done); }), io::Error::ok);
  EXPECT_EQ(call([&](auto done) { fs().rmdir(path("dir/sub"), done); }), io::Error::ok);
  EXPECT_EQ(call([&](auto done) { fs().rmdir(path("dir"), done); }), io::Error::ok);
  EXPECT_EQ(stat("dir").error(), io::Error::not_found);
  auto missing = await<io::Result<std::vector<io::DirEntry>>>(harness(), [&](auto done) { fs().readdir(path("dir"), done); });
  EXPECT_EQ(missing.error(), io::Error::not_found);
}

// Linux (syncfs) and the simulator flush the whole disk in one call; Windows cannot
// without an administrator's volume handle, and says so (callers sync name by name).
TEST_P(FileContract, sync_file_system_flushes_the_disk_holding_a_path_or_says_it_cannot) {
  put("f", "data");
  const io::Error synced = call([&](auto done) { fs().sync_file_system(path("f"), done); });
  const io::Error missing = call([&](auto done) { fs().sync_file_system(path("missing"), done); });
#ifdef _WIN32
  EXPECT_EQ(synced, GetParam() == "uv" ? io::Error::not_supported : io::Error::ok);
  EXPECT_EQ(missing, GetParam() == "uv" ? io::Error::not_supported : io::Error::not_found);
#else
  EXPECT_EQ(synced, io::Error::ok);
  EXPECT_EQ(missing, io::Error::not_found);
#endif
  EXPECT_EQ(contents("f"), "data");
}

TEST_P(FileContract, set_mtime_is_what_stat_reports) {
  put("m", "x");
  const std::int64_t mtime_ns = 1'700'000'000LL * io::kNsPerS + 123'000;  // microsecond precision
  EXPECT_EQ(call([&](auto done) { fs().set_mtime(path("m"), mtime_ns, done); }), io::Error::ok);
  auto st = stat("m");
  ASSERT_TRUE(st.ok());
  EXPECT_NEAR(static_cast<double>(st->mtime_ns), static_cast<double>(mtime_ns), 1000.0);
  EXPECT_EQ(st->size_bytes, 1u);
}

#ifdef _WIN32
constexpr bool kKeepsPosixModes = false;  // only the read-only attribute (see io/filesystem.h)
#else
constexpr bool kKeepsPosixModes = true;
#endif

TEST_P(FileContract, set_mode_is_what_stat_reports_and_only_permission_bits_are_accepted) {
  put("m", "x");
  ASSERT_EQ(call([&](auto done) { fs().mkdir(path("d"), done); }), io::Error::ok);
  for (const std::uint32_t mode : {0750u, 0440u, 01777u}) {
    for (const char* name : {"m", "d"}) {
      EXPECT_EQ(call([&](auto done) { fs().set_mode(path(name), mode, done); }), io::Error::ok) << name;
      auto st = stat(name);
      ASSERT_TRUE(st.ok()) << name;
      if (kKeepsPosixModes) {
        EXPECT_EQ(st->mode, mode) << name;
      } else if (st->kind == io::FileKind::regular) {
        EXPECT_EQ(st->mode & 0200, mode & 0200) << name << ": the read-only attribute follows the owner-write bit";
      }
    }
  }
  EXPECT_EQ(call([&](auto done) { fs().set_mode(path("m"), 0100644, done); }), io::Error::invalid_argument)
      << "file type bits are not a mode";
  EXPECT_EQ(call([&](auto done) { fs().set_mode(path("missing"), 0644, done); }), io::Error::not_found);
  EXPECT_EQ(contents("m"), "x");
}

TEST_P(FileContract, atomic_replacement_installs_the_new_contents_and_leaves_no_temporary) {
  put("state", "generation 1");
  const io::Error replaced = call([&](auto done) {
    io::write_file_atomically(fs(), path("state"), io::as_bytes("generation 2"), done);
  });
  EXPECT_EQ(replaced, io::Error::ok);
  EXPECT_EQ(contents("state"), "generation 2");
  EXPECT_EQ(stat(std::string("state") + io::kAtomicTempSuffix).error(), io::Error::not_found);
  auto whole = await<io::Result<io::Bytes>>(harness(), [&](auto done) { io::read_whole_file(fs(), path("state"), 1024, done); });
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(std::string(whole->begin(), whole->end()), "generation 2");
  auto too_big = await<io::Result<io::Bytes>>(harness(), [&](auto done) { io::read_whole_file(fs(), path("state"), 4, done); });
  EXPECT_EQ(too_big.error(), io::Error::invalid_argument);
}

TEST_P(FileContract, overlapping_replacements_through_one_atomic_file_apply_in_order_without_mixing) {
  io::AtomicFile state(fs(), path("state"));
  std::vector<io::Error> results;
  ASSERT_EQ(state.write(io::as_bytes("peer down, a longer first value"), [&](io::Error e) { results.push_back(e); }), io::Error::ok);
  ASSERT_EQ(state.write(io::as_bytes("peer up"), [&](io::Error e) { results.push_back(e); }), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return results.size() == 2; }));
  EXPECT_EQ(results, (std::vector<io::Error>{io::Error::ok, io::Error::ok}));
  EXPECT_EQ(contents("state"), "peer up");
}

TEST_P(FileContract, atomic_replacement_into_a_missing_directory_fails_cleanly) {
  const io::Error replaced = call([&](auto done) {
    io::write_file_atomically(fs(), path("no-such-dir/state"), io::as_bytes("x"), done);
  });
  EXPECT_EQ(replaced, io::Error::not_found);
}

HM_CONTRACT_SUITE(FileContract);

}  // namespace
}  // namespace hamirror::test
