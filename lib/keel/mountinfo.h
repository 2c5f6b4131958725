// What is mounted where, from /proc/self/mountinfo (proc(5)): mount-stage1 uses it to skip
// what is already mounted; the stage 4 and VM tooling can reuse it. Nothing here prints.
#pragma once

#include <string_view>

namespace keel {

struct MountEntry {
    std::string_view point;  ///< mount point, with the \ooo escapes decoded
    std::string_view fstype; ///< e.g. "tmpfs", "proc"
    std::string_view source; ///< e.g. "tmpfs", "/dev/vda" (escapes decoded)
};

/// Calls fn(entry, ctx) for every line of file (default /proc/self/mountinfo), in the
/// kernel's order (a mount comes after the one it sits on); fn returns false to stop early.
/// The views live only during the call. False with errno if file cannot be read (ENOENT when
/// /proc is not mounted); a malformed line is skipped.
using MountFn = bool (*)(const MountEntry& entry, void* ctx) noexcept;
[[nodiscard]] bool mountinfo_each(MountFn fn, void* ctx,
                                  const char* file = "/proc/self/mountinfo") noexcept;

/// What is visible at point: 1 if the topmost mount on point has type fstype, 0 if point is
/// not a mount point or has another type, -1 with errno if the table cannot be read.
[[nodiscard]] int mounted_as(std::string_view point, std::string_view fstype,
                             const char* file = "/proc/self/mountinfo") noexcept;

} // namespace keel
