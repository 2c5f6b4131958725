// Where another keel program lives, for a tool that execs one (svscan runs supervise,
// svscanboot runs svscan, ...). Never a bare PATH search: daemontools may own /usr/bin/supervise.
#pragma once

#include <climits>

#include "keel/path.h"

namespace keel {

/// Sets path to the program NAME as installed: BINDIR/PROGRAM_PREFIX NAME, both fixed at build
/// time (build/keel/config.h). When the environment variable KEEL_BINDIR is set and not empty,
/// it names a directory of unprefixed programs to use instead: an uninstalled build's bin/, as
/// the test suite and `make demo` run it (the same idea as git's GIT_EXEC_PATH). Returns false
/// with errno ENAMETOOLONG if the path does not fit.
[[nodiscard]] bool program_path(PathBuf<PATH_MAX>& path, const char* name) noexcept;

} // namespace keel
