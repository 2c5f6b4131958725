// Account lookup and credentials for keel/uidgid.h: through libc (and so NSS) normally, through
// keel's own file reader (lib/userdb.cc) in a KEEL_STATIC build; gid lists; applying ids.
#include "keel/uidgid.h"

#include "keel/num.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <grp.h>
#include <unistd.h>

#if !KEEL_STATIC
#include <pwd.h>
#endif

namespace keel {

namespace {

constexpr bool is_list_sep(char c) noexcept
{
    return c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

} // namespace

#if KEEL_STATIC

Lookup find_user(const char* name, UserIds& out) noexcept
{
    return find_user_in(passwd_file, name, out);
}

Lookup find_group(const char* name, gid_t& out) noexcept
{
    return find_group_in(group_file, name, out);
}

Lookup find_user_by_uid(uid_t uid, UserIds& out) noexcept
{
    return find_user_by_uid_in(passwd_file, uid, out);
}

Lookup find_group_name(gid_t gid, std::span<char> name) noexcept
{
    return find_group_name_in(group_file, gid, name);
}

bool user_groups(const char* name, gid_t primary, GidList& out) noexcept
{
    return user_groups_in(group_file, name, primary, out);
}

#else

namespace {

// The codes getpwnam_r(3) and getgrnam_r(3) may return for "no such entry".
constexpr bool means_unknown(int e) noexcept
{
    return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

// Size of the buffers given to the reentrant lookups; bigger entries take the slow path.
constexpr std::size_t entry_buf = 16384;

// A getXXnam_r/getXXid_r lookup into a stack buffer, falling back to libc's own growing
// buffer (the plain call) for an entry too big for it. take(entry) keeps what the caller needs
// and returns found (or error with errno).
template <class Ent, class Key, class Take>
Lookup lookup(int (*reentrant)(Key, Ent*, char*, std::size_t, Ent**), Ent* (*plain)(Key), Key key,
              Take take) noexcept
{
    Ent ent;
    Ent* res = nullptr;
    char buf[entry_buf];
    int e = reentrant(key, &ent, buf, sizeof buf, &res);
    if (e == ERANGE) {
        errno = 0;
        res = plain(key);
        e = errno;
    }
    if (res) return take(*res);
    if (means_unknown(e)) return Lookup::unknown;
    errno = e;
    return Lookup::error;
}

Lookup keep_ids(const passwd& pw, UserIds& out) noexcept
{
    out = {pw.pw_uid, pw.pw_gid};
    return Lookup::found;
}

} // namespace

Lookup find_user(const char* name, UserIds& out) noexcept
{
    return lookup(getpwnam_r, getpwnam, name, [&](const passwd& pw) { return keep_ids(pw, out); });
}

Lookup find_user_by_uid(uid_t uid, UserIds& out) noexcept
{
    return lookup(getpwuid_r, getpwuid, uid, [&](const passwd& pw) { return keep_ids(pw, out); });
}

Lookup find_group(const char* name, gid_t& out) noexcept
{
    return lookup(getgrnam_r, getgrnam, name, [&](const group& gr) {
        out = gr.gr_gid;
        return Lookup::found;
    });
}

Lookup find_group_name(gid_t gid, std::span<char> name) noexcept
{
    return lookup(getgrgid_r, getgrgid, gid, [&](const group& gr) {
        const std::size_t len = std::strlen(gr.gr_name);
        if (len >= name.size()) {
            errno = ERANGE;
            return Lookup::error;
        }
        std::memcpy(name.data(), gr.gr_name, len + 1);
        return Lookup::found;
    });
}

bool user_groups(const char* name, gid_t primary, GidList& out) noexcept
{
    // getgrouplist() puts primary first, and the spare slot of out makes room for it.
    // glibc mallocs a scratch copy as large as the count it is given, so ask for a small
    // count first (a 256 KiB scratch would cost an mmap and page faults on every run) and
    // retry with the whole array only if the user has more groups than that.
    out.size = 0;
    int n = 64;
    if (getgrouplist(name, primary, out.gids.data(), &n) < 0) {
        if (n > static_cast<int>(out.gids.size())) {
            errno = ERANGE;
            return false;
        }
        n = static_cast<int>(out.gids.size());
        if (getgrouplist(name, primary, out.gids.data(), &n) < 0) {
            errno = ERANGE;
            return false;
        }
    }
    std::size_t k = 0;
    for (int i = 0; i < n; ++i) {
        const gid_t g = out.gids[static_cast<std::size_t>(i)];
        const auto end = out.gids.begin() + static_cast<std::ptrdiff_t>(k);
        if (g != primary && std::find(out.gids.begin(), end, g) == end) out.gids[k++] = g;
    }
    out.size = k;
    return true;
}

#endif

bool scan_gid_list(std::string_view s, GidList& out) noexcept
{
    out.size = 0;
    while (!s.empty()) {
        std::size_t len = 0;
        while (len < s.size() && !is_list_sep(s[len])) ++len;
        gid_t g;
        if (!scan_number(std::string_view(s.data(), len), g)) {
            errno = EINVAL;
            return false;
        }
        if (out.size >= max_groups) {
            errno = ERANGE;
            return false;
        }
        out.gids[out.size++] = g;
        while (len < s.size() && is_list_sep(s[len])) ++len;
        s.remove_prefix(len);
    }
    return true;
}

bool apply_creds(uid_t uid, gid_t gid, GidList* groups, CredStep& failed) noexcept
{
    failed = CredStep::none;
    if (groups) {
        const gid_t g = gid ? gid : getegid();
        auto& v = groups->gids;
        const auto end = v.begin() + static_cast<std::ptrdiff_t>(groups->size);
        if (std::find(v.begin(), end, g) == end) {
            if (groups->size >= v.size()) {
                errno = EINVAL;
                failed = CredStep::groups;
                return false;
            }
            v[groups->size++] = g;
        }
        if (setgroups(groups->size, v.data()) < 0) {
            failed = CredStep::groups;
            return false;
        }
    }
    if (gid && setgid(gid) < 0) {
        failed = CredStep::gid;
        return false;
    }
    if (uid && setuid(uid) < 0) {
        failed = CredStep::uid;
        return false;
    }
    return true;
}

} // namespace keel
