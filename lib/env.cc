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

} // namespace keel
