#pragma once
// What the cgroup v2 this process runs in allows it: a container's --memory, a Kubernetes memory
// limit, a systemd unit's MemoryMax.

#include <cstdint>
#include <filesystem>
#include <optional>

namespace twiml_redirect::util {

// The memory limit (memory.max) of this process's cgroup, in bytes; nullopt when there is none
// ("max") or no cgroup v2 is visible. Looks in the process's own cgroup (its path from
// `self_cgroup`, as under systemd) and then at `root` itself (a container's namespaced view).
std::optional<std::uint64_t> cgroup_memory_limit(const std::filesystem::path& root = "/sys/fs/cgroup",
                                                 const std::filesystem::path& self_cgroup = "/proc/self/cgroup");

}  // namespace twiml_redirect::util
