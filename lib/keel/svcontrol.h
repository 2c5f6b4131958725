// Talking to a running supervise: its control FIFO, and whether it runs at all (its lock).
// s6-compatible: these work the same against keel's supervise and s6-supervise.
#pragma once

#include <string_view>

namespace keel::sv {

enum class CtlResult {
    ok,
    not_supervised, ///< no supervise reads DIR/supervise/control (ENXIO), or no DIR/supervise
    bad_dir,        ///< DIR/supervise is there but broken (no control FIFO, not a directory...)
    error,          ///< any other failure; errno set
};

/// Writes cmds, in one write, to DIR/supervise/control, opened O_WRONLY|O_NONBLOCK (so a FIFO
/// without a reader fails at once with ENXIO instead of blocking). errno is set for bad_dir
/// and error.
[[nodiscard]] CtlResult write_control(const char* dir, std::string_view cmds) noexcept;

/// Whether a supervisor holds the lock on DIR/supervise/lock: 1 yes, 0 no (also when the lock
/// file does not exist), -1 on error with errno.
[[nodiscard]] int supervised(const char* dir) noexcept;

} // namespace keel::sv
