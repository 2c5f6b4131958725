#include "keel/progpath.h"

#include "keel/config.h"
#include "keel/env.h"

namespace keel {

bool program_path(PathBuf<PATH_MAX>& path, const char* name) noexcept
{
    const char* dir = env_get("KEEL_BINDIR");
    if (dir && *dir) return path.set(dir, "/", name);
    return path.set(config::bindir, "/", config::program_prefix, name);
}

} // namespace keel
