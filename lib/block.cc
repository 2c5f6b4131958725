// The execline block convention of keel/block.h.
#include "keel/block.h"

namespace keel {

int block_end(char** argv) noexcept
{
    int end = 0;
    while (argv[end] && argv[end][0]) ++end;
    if (!argv[end]) return -1;
    for (int i = 0; i < end; ++i)
        if (argv[i][0] == ' ') ++argv[i];
    return end;
}

} // namespace keel
