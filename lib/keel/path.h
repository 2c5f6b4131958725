// Path building that never truncates: a path that would not fit fails with ENAMETOOLONG.
#pragma once

#include <cerrno>
#include <climits>
#include <cstddef>
#include <span>
#include <string_view>

namespace keel {

/// What every PathBuf does out of line (one copy per program, not one per argument list):
/// appends parts to the NUL-terminated buf of capacity cap holding len bytes. If they do not
/// fit, empties buf (len = 0), sets errno to ENAMETOOLONG and returns false.
[[nodiscard]] bool path_append(char* buf, std::size_t cap, std::size_t& len,
                               std::span<const std::string_view> parts) noexcept;
/// The same after emptying buf (len = 0).
[[nodiscard]] bool path_set(char* buf, std::size_t cap, std::size_t& len,
                            std::span<const std::string_view> parts) noexcept;

/// A NUL-terminated path of at most N-1 bytes, built from pieces.
template <std::size_t N = PATH_MAX>
class PathBuf {
public:
    // Out of line: a tool has many PathBufs, and a call is smaller than the two stores.
    [[gnu::noinline]] PathBuf() noexcept { buf_[0] = 0; }

    /// Replaces the content with the concatenation of parts. On overflow, leaves the buffer
    /// empty, sets errno to ENAMETOOLONG and returns false.
    template <class... A>
    [[nodiscard]] bool set(const A&... parts) noexcept
    {
        if constexpr (sizeof...(A) == 0) {
            clear();
            return true;
        } else {
            const std::string_view v[] = {std::string_view(parts)...};
            return path_set(buf_, N, len_, v);
        }
    }

    /// Appends s. On overflow: the buffer is emptied, errno = ENAMETOOLONG, false.
    [[nodiscard]] bool append(std::string_view s) noexcept
    {
        return path_append(buf_, N, len_, {&s, 1});
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
