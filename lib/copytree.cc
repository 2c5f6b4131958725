// Recursive copy with types, modes and owners, for keel/copytree.h. Works on directory
// descriptors (openat and friends), so paths never have to be assembled.
#include "keel/copytree.h"

#include "keel/fd.h"

#include <cerrno>
#include <climits>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace keel {
namespace {

bool copy_entry(int sdir, int ddir, const char* name, const struct stat& st) noexcept;

// Owner first, then mode: chown clears the setuid and setgid bits.
bool set_meta(int ddir, const char* name, const struct stat& st) noexcept
{
    if (fchownat(ddir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) return false;
    if (S_ISLNK(st.st_mode)) return true;
    return fchmodat(ddir, name, st.st_mode & 07777, 0) == 0;
}

bool copy_data(int from, int to) noexcept
{
    char buf[8192];
    for (;;) {
        const ssize_t r = read_some(from, buf, sizeof buf);
        if (r < 0) return false;
        if (r == 0) return true;
        if (!write_all(to, buf, static_cast<std::size_t>(r))) return false;
    }
}

bool copy_dir_content(int sfd, int dfd) noexcept
{
    // fdopendir takes the descriptor over: give it a copy.
    const int dup = fcntl(sfd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return false;
    DIR* d = fdopendir(dup);
    if (!d) {
        close_fd(dup);
        return false;
    }
    bool ok = true;
    for (;;) {
        errno = 0;
        const dirent* e = readdir(d);
        if (!e) {
            ok = errno == 0;
            break;
        }
        const char* n = e->d_name;
        if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]))) continue;
        struct stat st;
        if (fstatat(sfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0 || !copy_entry(sfd, dfd, n, st)) {
            ok = false;
            break;
        }
    }
    const int e = errno;
    closedir(d);
    errno = e;
    return ok;
}

bool copy_dir(int sdir, int ddir, const char* name, const struct stat& st) noexcept
{
    if (mkdirat(ddir, name, 0700) < 0 && errno != EEXIST) return false;
    Fd s = open_at(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!s) return false;
    Fd d = open_at(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!d || !copy_dir_content(s.get(), d.get())) return false;
    return set_meta(ddir, name, st);
}

// Makes room for a non-directory entry that already exists at the destination.
void clear_slot(int ddir, const char* name) noexcept
{
    if (unlinkat(ddir, name, 0) < 0 && errno == EISDIR) errno = EEXIST;
}

bool copy_entry(int sdir, int ddir, const char* name, const struct stat& st) noexcept
{
    const mode_t type = st.st_mode & S_IFMT;
    if (type == S_IFDIR) return copy_dir(sdir, ddir, name, st);
    clear_slot(ddir, name);
    if (type == S_IFREG) {
        Fd from = open_at(sdir, name, O_RDONLY | O_NOFOLLOW);
        if (!from) return false;
        Fd to = open_at(ddir, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (!to || !copy_data(from.get(), to.get())) return false;
    } else if (type == S_IFLNK) {
        char target[PATH_MAX];
        const ssize_t n = readlinkat(sdir, name, target, sizeof target - 1);
        if (n < 0) return false;
        target[n] = 0;
        if (symlinkat(target, ddir, name) < 0) return false;
    } else {
        // FIFO, socket node, character or block device.
        if (mknodat(ddir, name, type | 0600, st.st_rdev) < 0) return false;
    }
    return set_meta(ddir, name, st);
}

} // namespace

bool copy_tree(const char* src, const char* dst) noexcept
{
    struct stat st;
    if (stat(src, &st) < 0) return false;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return false;
    }
    if (mkdir(dst, 0700) < 0 && errno != EEXIST) return false;
    Fd s = open_file(src, O_RDONLY | O_DIRECTORY);
    if (!s) return false;
    Fd d = open_file(dst, O_RDONLY | O_DIRECTORY);
    if (!d || !copy_dir_content(s.get(), d.get())) return false;
    if (fchown(d.get(), st.st_uid, st.st_gid) < 0) return false;
    return fchmod(d.get(), st.st_mode & 07777) == 0;
}

} // namespace keel
