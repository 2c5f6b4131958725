// Buffered writer and reader for keel/buf.h.
#include "keel/buf.h"

#include "keel/fd.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace keel {

bool Writer::flush() noexcept
{
    if (!len_) return true;
    std::size_t done = 0;
    while (done < len_) {
        const ssize_t w = ::write(fd_, buf_.data() + done, len_ - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            std::memmove(buf_.data(), buf_.data() + done, len_ - done);
            len_ -= done;
            return false;
        }
        done += static_cast<std::size_t>(w);
    }
    len_ = 0;
    return true;
}

bool Writer::put(std::string_view s) noexcept
{
    if (s.empty()) return true; // (an empty view's data() may be null: no memcpy with it)
    if (s.size() <= room()) {
        std::memcpy(buf_.data() + len_, s.data(), s.size());
        len_ += s.size();
        return true;
    }
    if (!flush()) return false;
    if (s.size() >= buf_.size()) return write_all(fd_, s);
    std::memcpy(buf_.data(), s.data(), s.size());
    len_ = s.size();
    return true;
}

bool Writer::put(char c) noexcept
{
    if (!room() && !flush()) return false;
    buf_[len_++] = c;
    return true;
}

ssize_t Reader::fill() noexcept
{
    if (start_ == end_) {
        start_ = end_ = 0;
    } else if (start_ > 0) {
        std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
    }
    if (end_ == buf_.size()) return 0;
    const ssize_t r = read_some(fd_, buf_.data() + end_, buf_.size() - end_);
    if (r > 0) end_ += static_cast<std::size_t>(r);
    return r;
}

void Reader::consume(std::size_t n) noexcept
{
    start_ += n < end_ - start_ ? n : end_ - start_;
    if (start_ == end_) start_ = end_ = 0;
}

} // namespace keel
