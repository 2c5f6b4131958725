// Account lookup and credentials for keel/uidgid.h: through libc (and so NSS) normally, through
// keel's own file reader (lib/userdb.cc) in a KEEL_STATIC build; gid lists; applying ids.
#include "keel/uidgid.h"

#include "keel/num.h"

#include <algorithm>
#include <cerrno>
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

} // namespace

Lookup find_user(const char* name, UserIds& out) noexcept
{
    passwd pw;
    passwd* res = nullptr;
    char buf[entry_buf];
    int e = getpwnam_r(name, &pw, buf, sizeof buf, &res);
    if (e == ERANGE) {
        // An entry too big for buf: libc's own, growing buffer.
        errno = 0;
        res = getpwnam(name);
        e = errno;
        if (res) pw = *res;
    }
    if (res) {
        out = {pw.pw_uid, pw.pw_gid};
        return Lookup::found;
    }
    if (means_unknown(e)) return Lookup::unknown;
    errno = e;
    return Lookup::error;
}

Lookup find_group(const char* name, gid_t& out) noexcept
{
    group gr;
    group* res = nullptr;
    char buf[entry_buf];
    int e = getgrnam_r(name, &gr, buf, sizeof buf, &res);
    if (e == ERANGE) {
        // A group with a member list too long for buf.
        errno = 0;
        res = getgrnam(name);
        e = errno;
        if (res) gr = *res;
    }
    if (res) {
        out = gr.gr_gid;
        return Lookup::found;
    }
    if (means_unknown(e)) return Lookup::unknown;
    errno = e;
    return Lookup::error;
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
