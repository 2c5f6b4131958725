// Path building that never truncates: a path that would not fit fails with ENAMETOOLONG.
#pragma once

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>
#include <string_view>

namespace keel {

/// A NUL-terminated path of at most N-1 bytes, built from pieces.
template <std::size_t N = PATH_MAX>
class PathBuf {
public:
    PathBuf() noexcept { buf_[0] = 0; }

    /// Replaces the content with the concatenation of parts. On overflow, leaves the buffer
    /// empty, sets errno to ENAMETOOLONG and returns false.
    template <class... A>
    [[nodiscard]] bool set(const A&... parts) noexcept
    {
        len_ = 0;
        buf_[0] = 0;
        return (append(std::string_view(parts)) && ...);
    }

    /// Appends s. On overflow: the buffer is emptied, errno = ENAMETOOLONG, false.
    [[nodiscard]] bool append(std::string_view s) noexcept
    {
        if (s.size() >= N - len_) {
            len_ = 0;
            buf_[0] = 0;
            errno = ENAMETOOLONG;
            return false;
        }
        // An empty view may have a null data(): memcpy must not see it (UBSan).
        if (!s.empty()) std::memcpy(buf_ + len_, s.data(), s.size());
        len_ += s.size();
        buf_[len_] = 0;
        return true;
    }

    void clear() noexcept
    {
        len_ = 0;
        buf_[0] = 0;
    }

    [[nodiscard]] const char* c_str() const noexcept { return buf_; }
    [[nodiscard]] std::string_view view() const noexcept { return {buf_, len_}; }
    [[nodiscard]] std::size_t size() const noexcept { return len_; }

private:
    char buf_[N];
    std::size_t len_ = 0;
};

} // namespace keel
