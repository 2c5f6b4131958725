// The growable byte queue of keel/growbuf.h.
#include "keel/growbuf.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace keel {

GrowBuf::~GrowBuf()
{
    std::free(buf_);
}

bool GrowBuf::init(std::size_t cap) noexcept
{
    std::free(buf_);
    start_ = end_ = cap_ = 0;
    buf_ = static_cast<char*>(std::malloc(cap ? cap : 1));
    if (!buf_) {
        errno = ENOMEM;
        return false;
    }
    cap_ = cap;
    return true;
}

char* GrowBuf::reserve_slow(std::size_t n) noexcept
{
    if (room() < n) return nullptr;
    const std::size_t len = size();
    if (len) std::memmove(buf_, buf_ + start_, len);
    start_ = 0;
    end_ = len;
    return buf_ + end_;
}

bool GrowBuf::grow(std::size_t n) noexcept
{
    if (room() >= n) return true;
    const std::size_t len = size();
    std::size_t ncap = cap_ ? cap_ * 2 : 4096;
    if (ncap < len + n) ncap = len + n;
    if (ncap < len) { // overflow
        errno = ENOMEM;
        return false;
    }
    if (start_ && len) std::memmove(buf_, buf_ + start_, len);
    start_ = 0;
    end_ = len;
    auto* p = static_cast<char*>(std::realloc(buf_, ncap));
    if (!p) {
        errno = ENOMEM;
        return false;
    }
    buf_ = p;
    cap_ = ncap;
    return true;
}

void GrowBuf::consume(std::size_t n) noexcept
{
    start_ += n < size() ? n : size();
    if (start_ == end_) start_ = end_ = 0;
}

} // namespace keel
