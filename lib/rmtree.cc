// rm -rf (keel/rmtree.h), with nftw(3): children first, symbolic links not followed.
#include "keel/rmtree.h"

#include <cerrno>
#include <ftw.h>
#include <unistd.h>

namespace keel {

namespace {

int remove_entry(const char* path, const struct stat*, int type, FTW*) noexcept
{
    return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

} // namespace

bool remove_tree(const char* path) noexcept
{
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 || errno == ENOENT;
}

} // namespace keel
