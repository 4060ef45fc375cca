// hm_baseline_bench: what this machine does for the same work without hamirror, the
// baselines tools/bench-suite.sh prints beside each hamirror figure.
//   pipeline: two processes; the sender writes its local copy and streams the same
//     blocks over a loopback TCP socket to a receiver that writes them to its file;
//     both fsync at the end, the receiver acknowledges; time to the acknowledgement.
//     Then the same again over the same files ("rewrite"): on this machine's disk, new
//     files are bound by the file system's block allocation, rewrites by the copies.
//   tcp: the same stream, the receiver discarding it (raw loopback throughput).
//   disk: the sender's local writes alone, fsync at the end; then a rewrite likewise.
//   fsync: --count times a 4 KiB write then fsync, one at a time (p50 / p99).
//   fsync2: the same in two processes side by side, each on its own file: what two
//     copies cost when they share this one disk, as both nodes do on one machine (the
//     parent's p50 / p99).
//   rtt: --count one-byte ping-pongs over loopback TCP (TCP_NODELAY).
// Prints "figure value" lines.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::perror(("hm_baseline_bench: " + what).c_str());
  std::exit(1);
}

void check(bool ok, const std::string& what) {
  if (!ok) die(what);
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    check(n > 0, "write");
    data += n, size -= static_cast<std::size_t>(n);
  }
}

void read_all(int fd, char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::read(fd, data, size);
    check(n > 0, "read (the peer process closed the socket early)");
    data += n, size -= static_cast<std::size_t>(n);
  }
}

enum class Pass { new_file, rewrite };

int open_file(const std::string& path, Pass pass = Pass::new_file) {
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | (pass == Pass::new_file ? O_TRUNC : 0), 0644);
  check(fd >= 0, "open " + path);
  return fd;
}

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// A connected loopback pair; the child process gets `server`, the parent `client`.
struct Link {
  pid_t child = -1;
  int fd = -1;
  bool is_child() const { return child == 0; }
};

// --cores: the core each side of a two-process baseline runs on (the parent's first),
// as the suite places the two nodes of hamirror's figures; -1: wherever the scheduler
// puts it.
int parent_core = -1;
int child_core = -1;

void run_on_core(int core) {
  if (core < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core, &set);
  check(::sched_setaffinity(0, sizeof set, &set) == 0, "sched_setaffinity (--cores)");
}

Link fork_link() {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  check(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 && ::listen(listener, 1) == 0 &&
            ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0,
        "listen on 127.0.0.1");
  Link link;
  link.child = ::fork();
  check(link.child >= 0, "fork");
  run_on_core(link.is_child() ? child_core : parent_core);
  if (link.is_child()) {
    link.fd = ::accept(listener, nullptr, nullptr);
    check(link.fd >= 0, "accept");
  } else {
    link.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    check(::connect(link.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0, "connect to 127.0.0.1");
  }
  ::close(listener);
  set_nodelay(link.fd);
  return link;
}

void finish_child(const Link& link) {
  int status = 0;
  ::close(link.fd);
  check(::waitpid(link.child, &status, 0) == link.child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "the receiving process failed");
}

// Seconds to stream total bytes in blocks; files empty: no file on that side.
double stream(std::size_t block, std::uint64_t total, const std::string& local_file, const std::string& remote_file,
              Pass pass = Pass::new_file) {
  std::vector<char> buffer(block, 0x5a);
  Link link = fork_link();
  if (link.is_child()) {
    const int fd = remote_file.empty() ? -1 : open_file(remote_file, pass);
    for (std::uint64_t offset = 0; offset < total; offset += block) {
      read_all(link.fd, buffer.data(), block);
      if (fd >= 0) check(::pwrite(fd, buffer.data(), block, static_cast<off_t>(offset)) == static_cast<ssize_t>(block), "pwrite");
    }
    if (fd >= 0) check(::fsync(fd) == 0 && ::close(fd) == 0, "fsync");
    write_all(link.fd, "k", 1);
    std::_Exit(0);
  }
  const int fd = local_file.empty() ? -1 : open_file(local_file, pass);
  const auto start = Clock::now();
  for (std::uint64_t offset = 0; offset < total; offset += block) {
    if (fd >= 0) check(::pwrite(fd, buffer.data(), block, static_cast<off_t>(offset)) == static_cast<ssize_t>(block), "pwrite");
    write_all(link.fd, buffer.data(), block);
  }
  if (fd >= 0) check(::fsync(fd) == 0 && ::close(fd) == 0, "fsync");
  char ack = 0;
  read_all(link.fd, &ack, 1);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  finish_child(link);
  return seconds;
}

double disk(std::size_t block, std::uint64_t total, const std::string& file, Pass pass) {
  std::vector<char> buffer(block, 0x5a);
  const int fd = open_file(file, pass);
  const auto start = Clock::now();
  for (std::uint64_t offset = 0; offset < total; offset += block) {
    check(::pwrite(fd, buffer.data(), block, static_cast<off_t>(offset)) == static_cast<ssize_t>(block), "pwrite");
  }
  check(::fsync(fd) == 0 && ::close(fd) == 0, "fsync");
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<double> fsync_latencies_us(int count, const std::string& file) {
  std::vector<char> buffer(4096, 0x5a);
  const int fd = open_file(file);
  std::vector<double> latencies;
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    check(::pwrite(fd, buffer.data(), buffer.size(), static_cast<off_t>(i) * 4096) == 4096 && ::fsync(fd) == 0, "write + fsync");
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  ::close(fd);
  return latencies;
}

// fsync_latencies_us() in this process and in a child at the same time, each on its
// own file; this process's latencies.
std::vector<double> side_by_side_fsync_latencies_us(int count, const std::string& file, const std::string& other_file) {
  Link link = fork_link();
  char go = 'g';
  if (link.is_child()) {
    read_all(link.fd, &go, 1);
    fsync_latencies_us(count, other_file);
    std::_Exit(0);
  }
  write_all(link.fd, &go, 1);
  std::vector<double> latencies = fsync_latencies_us(count, file);
  finish_child(link);
  return latencies;
}

std::vector<double> rtt_us(int count) {
  Link link = fork_link();
  char byte = 'p';
  if (link.is_child()) {
    for (int i = 0; i < count; ++i) read_all(link.fd, &byte, 1), write_all(link.fd, &byte, 1);
    std::_Exit(0);
  }
  std::vector<double> latencies;
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    write_all(link.fd, &byte, 1);
    read_all(link.fd, &byte, 1);
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  finish_child(link);
  return latencies;
}

void print_percentiles(const std::string& name, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  auto at = [&](double fraction) { return values[std::min(values.size() - 1, static_cast<std::size_t>(fraction * static_cast<double>(values.size())))]; };
  std::printf("%s_p50_us %.1f\n%s_p99_us %.1f\n", name.c_str(), at(0.5), name.c_str(), at(0.99));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Baselines for hamirror's benchmark suite: no replication, same work"};
  std::string mode, dir = ".";
  std::size_t block = 1 << 20;
  std::uint64_t total_mib = 256;
  int count = 1000;
  app.add_option("mode", mode, "pipeline, tcp, disk, fsync, fsync2 or rtt")->required()->check(CLI::IsMember({"pipeline", "tcp", "disk", "fsync", "fsync2", "rtt"}));
  app.add_option("--dir", dir, "where the files are written (removed at the end)");
  app.add_option("--block", block, "bytes per write");
  app.add_option("--total-mib", total_mib, "MiB streamed / written");
  app.add_option("--count", count, "fsync / rtt samples");
  std::vector<int> cores;
  app.add_option("--cores", cores, "two cores: the sending (first) and the receiving process's, for pipeline, tcp, fsync2 and rtt")
      ->expected(2)->delimiter(',')->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  if (!cores.empty()) parent_core = cores[0], child_core = cores[1];
  const std::uint64_t total = total_mib << 20;
  const std::string local = dir + "/baseline-local.bin", remote = dir + "/baseline-remote.bin";
  const std::string size = std::to_string(block >> 10) + "k";
  const double mb = static_cast<double>(total) / 1e6;
  if (mode == "pipeline") {
    std::printf("pipeline_write_%s_MBps %.1f\n", size.c_str(), mb / stream(block, total, local, remote));
    std::printf("pipeline_rewrite_%s_MBps %.1f\n", size.c_str(), mb / stream(block, total, local, remote, Pass::rewrite));
  }
  if (mode == "tcp") std::printf("tcp_loopback_%s_MBps %.1f\n", size.c_str(), mb / stream(block, total, "", ""));
  if (mode == "disk") {
    std::printf("disk_write_%s_MBps %.1f\n", size.c_str(), mb / disk(block, total, local, Pass::new_file));
    std::printf("disk_rewrite_%s_MBps %.1f\n", size.c_str(), mb / disk(block, total, local, Pass::rewrite));
  }
  if (mode == "fsync") print_percentiles("local_fsync_4k", fsync_latencies_us(count, local));
  if (mode == "fsync2") print_percentiles("side_by_side_fsync_4k", side_by_side_fsync_latencies_us(count, local, remote));
  if (mode == "rtt") print_percentiles("loopback_rtt", rtt_us(count));
  ::unlink(local.c_str());
  ::unlink(remote.c_str());
  return 0;
}
