// Whole-file reads for keel/slurp.h.
#include "keel/slurp.h"

#include "keel/fd.h"

#include <cerrno>
#include <cstdlib>

namespace keel {

Slurp::~Slurp()
{
    std::free(buf_);
}

bool Slurp::read(int fd) noexcept
{
    len_ = 0;
    for (;;) {
        if (cap_ - len_ < 2) { // room for at least one byte plus the spare one
            const std::size_t ncap = cap_ ? cap_ * 2 : 4096;
            auto* p = static_cast<char*>(std::realloc(buf_, ncap));
            if (!p) {
                len_ = 0;
                errno = ENOMEM;
                return false;
            }
            buf_ = p;
            cap_ = ncap;
        }
        const ssize_t r = read_some(fd, buf_ + len_, cap_ - len_ - 1);
        if (r < 0) {
            len_ = 0;
            return false;
        }
        if (r == 0) return true;
        len_ += static_cast<std::size_t>(r);
    }
}

bool Slurp::read_file(const char* path) noexcept
{
    const Fd fd = open_read(path);
    if (fd) return read(fd.get());
    len_ = 0;
    return false;
}

} // namespace keel
