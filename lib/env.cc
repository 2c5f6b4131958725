// Thin, errno-reporting wrappers over the libc environment for keel/env.h.
#include "keel/env.h"

#include "keel/num.h"

#include <cstdlib>
#include <cstring>

namespace keel {

bool env_set(const char* name, const char* value) noexcept
{
    return setenv(name, value, 1) == 0;
}

bool env_set_number(const char* name, std::uint64_t value) noexcept
{
    NumText t = fmt_number(value);
    char s[sizeof t.buf + 1];
    std::memcpy(s, t.buf, t.len);
    s[t.len] = 0;
    return env_set(name, s);
}

bool env_unset(const char* name) noexcept
{
    return unsetenv(name) == 0;
}

const char* env_get(const char* name) noexcept
{
    return std::getenv(name);
}

std::size_t env_file_value(char* s, std::size_t len, const EnvFileRules& r) noexcept
{
    if (r.whole_file) {
        if (!r.no_chomp && len && s[len - 1] == '\n') --len;
    } else {
        if (const void* nl = std::memchr(s, '\n', len)) len = static_cast<const char*>(nl) - s;
        if (!r.no_chomp)
            while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) --len;
    }
    for (std::size_t i = 0; i < len; ++i)
        if (s[i] == 0) s[i] = r.nul_is;
    s[len] = 0;
    return len;
}

} // namespace keel
