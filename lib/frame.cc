// Request and reply frames of keel's small socket protocols: see keel/frame.h.
#include "keel/frame.h"

#include "keel/loop.h"
#include "keel/unixsock.h"

#include <cerrno>
#include <cstring>

namespace keel::frame {

void put(char* out, std::string_view magic, char kind, std::uint32_t value) noexcept
{
    std::memcpy(out, magic.data(), magic_len);
    out[magic_len] = kind;
    put_be32(out + magic_len + 1, value);
}

std::size_t put_request(char* out, std::string_view magic, char op, std::string_view name) noexcept
{
    put(out, magic, op, static_cast<std::uint32_t>(name.size()));
    std::memcpy(out + len, name.data(), name.size());
    return len + name.size();
}

bool get(const char* in, std::string_view magic, char& kind, std::uint32_t& value) noexcept
{
    if (std::string_view(in, magic_len) != magic) return false;
    kind = in[magic_len];
    value = get_be32(in + magic_len + 1);
    return true;
}

Check check_request(const char* hdr, std::string_view magic, std::string_view ops,
                    std::size_t max_name, std::uint32_t& name_len) noexcept
{
    char op = 0;
    name_len = 0;
    if (!get(hdr, magic, op, name_len) || ops.find(op) == std::string_view::npos)
        return Check::malformed;
    if (name_len == 0 || name_len > max_name) return Check::bad_name;
    return Check::ok;
}

Fd retry_busy(std::int64_t deadline_ms, Fd (*attempt)(void*), void* arg) noexcept
{
    for (;;) {
        Fd fd = attempt(arg);
        if (fd || errno != EAGAIN) return fd;
        const std::int64_t retry = deadline_in(busy_retry_ms);
        if (retry >= deadline_ms) {
            errno = ETIMEDOUT;
            return Fd();
        }
        (void)poll_until({}, retry);
    }
}

} // namespace keel::frame
