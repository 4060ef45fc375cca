#include "cli/host_resolver.h"

#include <uv.h>

namespace hamirror::cli {

bool host_name_resolves(const std::string& host_name) {
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) return false;
  uv_getaddrinfo_t request;
  // No callback: libuv resolves synchronously.
  const int status = uv_getaddrinfo(&loop, &request, nullptr, host_name.c_str(), nullptr, nullptr);
  if (status == 0) uv_freeaddrinfo(request.addrinfo);
  uv_loop_close(&loop);
  return status == 0;
}

}  // namespace hamirror::cli
