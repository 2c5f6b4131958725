// PATH search and exec for keel/exec.h.
#include "keel/exec.h"

#include "keel/err.h"
#include "keel/path.h"
#include "keel/str.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unistd.h>

extern char** environ;

namespace keel {

int exec_search(char* const* argv, char* const* envp) noexcept
{
    const char* name = argv[0];
    if (!*name) {
        errno = ENOENT;
        return -1;
    }
    if (std::strchr(name, '/')) return execve(name, argv, envp);
    const char* path = std::getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    int best = ENOENT;
    std::string_view rest(path);
    PathBuf<> full;
    for (;;) {
        const auto colon = rest.find(':');
        std::string_view dir = head(rest, colon);
        if (dir.empty()) dir = ".";
        if (full.set(dir, "/", name)) {
            execve(full.c_str(), argv, envp);
            // Remember a real failure (EACCES, ENOEXEC...) over "not in this directory".
            if (errno != ENOENT && errno != ENOTDIR) best = errno;
        } else {
            best = errno;
        }
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
    }
    errno = best;
    return -1;
}

void xexec_env(char* const* argv, char* const* envp) noexcept
{
    exec_search(argv, envp);
    die_exec(argv[0]);
}

void xexec(char* const* argv) noexcept
{
    xexec_env(argv, environ);
}

} // namespace keel
