// The control FIFO of any s6 control directory: DIR/supervise/control for a supervisor,
// SCANDIR/.s6-svscan/control for a scanner (s6_svc_writectl's "subdir" argument). svcontrol.h's
// write_control() is the "supervise" case of write_control_at().
#pragma once

#include "keel/svcontrol.h"

#include <string_view>

namespace keel::sv {

/// The control directory of a scan directory.
inline constexpr char scanner_ctl_dir[] = ".s6-svscan";

/// Writes cmds, in one write, to DIR/SUBDIR/control, opened O_WRONLY|O_NONBLOCK (a FIFO that
/// nobody reads fails at once instead of blocking), then switched back to blocking so the
/// whole command goes in even if the FIFO is busy. Returns ok; not_supervised if nothing
/// reads the FIFO (ENXIO) or DIR has no SUBDIR; bad_dir (errno set) if DIR/SUBDIR exists but
/// has no usable control FIFO or is not a directory; error (errno set) otherwise, e.g. a
/// missing DIR or a path too long.
[[nodiscard]] CtlResult write_control_at(const char* dir, const char* subdir,
                                         std::string_view cmds) noexcept;

} // namespace keel::sv
