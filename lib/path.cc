// The out-of-line part of keel/path.h: joining pieces into a PathBuf.
#include "keel/path.h"

#include <cstring>

namespace keel {

bool path_append(char* buf, std::size_t cap, std::size_t& len,
                 std::span<const std::string_view> parts) noexcept
{
    for (const std::string_view s : parts) {
        if (s.size() >= cap - len) {
            len = 0;
            buf[0] = 0;
            errno = ENAMETOOLONG;
            return false;
        }
        // An empty view may have a null data(): memcpy must not see it (UBSan).
        if (!s.empty()) std::memcpy(buf + len, s.data(), s.size());
        len += s.size();
    }
    buf[len] = 0;
    return true;
}

bool path_set(char* buf, std::size_t cap, std::size_t& len,
              std::span<const std::string_view> parts) noexcept
{
    len = 0;
    return path_append(buf, cap, len, parts);
}

} // namespace keel
