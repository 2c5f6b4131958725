// umount-all: unmount every file system of /proc/mounts in reverse order (stage 4, before
// halt-final), like s6-linux-init-umountall. Kept: /run (stage 4 runs from it) and the first
// devtmpfs, proc and sysfs mounts. A busy mount (the root at least) is remounted read-only
// instead. Exit status: the number of failures (99 means 99 or more).
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/opt.h"
#include "keel/slurp.h"

#include <cerrno>
#include <cstddef>
#include <string_view>
#include <sys/mount.h>
#include <unistd.h>

namespace {

constexpr std::string_view usage = "umount-all";
constexpr char mounts_file[] = "/proc/mounts";

// So that 100 (usage) and 111 (system) keep their meaning, and 256 failures never exit 0.
constexpr int max_status = 99;

bool is_octal(char c) noexcept { return c >= '0' && c <= '7'; }

// Rewrites one line of /proc/mounts ("dev mountpoint type options 0 0") in place so that it
// starts with its mount point, octal escapes (\040 for a space...) decoded and NUL-terminated,
// or with an empty string if the mount is to be kept. The decoded name is never longer than
// the raw one and is written from the line's start, behind the read position, so the type
// field after it is still intact when it is read. first_seen counts devtmpfs, proc, sysfs.
void prepare_line(char* line, char* end, bool (&first_seen)[3]) noexcept
{
    if (line == end) return; // an empty line: nothing to overwrite
    char* r = line;
    while (r < end && *r != ' ') ++r; // the device
    if (r == end) {
        *line = '\0';
        return;
    }
    ++r;
    char* w = line;
    while (r < end && *r != ' ') {
        if (*r == '\\' && end - r >= 4 && is_octal(r[1]) && is_octal(r[2]) && is_octal(r[3])) {
            *w++ = static_cast<char>((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    const char* type = r < end ? r + 1 : end;
    const char* type_end = type;
    while (type_end < end && *type_end != ' ') ++type_end;
    const std::string_view t(type, static_cast<std::size_t>(type_end - type));

    constexpr std::string_view kept_once[] = {"devtmpfs", "proc", "sysfs"};
    for (std::size_t i = 0; i < 3; ++i) {
        if (t == kept_once[i] && !first_seen[i]) {
            first_seen[i] = true;
            *line = '\0';
        }
    }
    if (std::string_view(line) == "/run") *line = '\0';
}

// Unmounts dir, or remounts it read-only if it is busy, or if it is the root: on a real
// disk "unmounting" the root fails with EBUSY, but the initramfs's rootfs can never be
// unmounted and says EINVAL. False (with a warning) on failure.
bool unmount(const char* dir) noexcept
{
    if (umount(dir) == 0) return true;
    if (errno != EBUSY && !(errno == EINVAL && std::string_view(dir) == "/")) {
        keel::warn_sys("unable to umount ", dir);
        return false;
    }
    if (mount(nullptr, dir, nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0) return true;
    keel::warn_sys("unable to read-only remount ", dir);
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "umount-all";
    keel::OptParser opts(argc, argv, "");
    if (opts.next() != 0 || opts.index() < argc) keel::die_usage(usage);

    // Our own working directory must not keep a file system busy.
    if (chdir("/") < 0) keel::warn_sys("unable to chdir to /");
    keel::Slurp buf;
    {
        keel::Fd fd = keel::open_read(mounts_file);
        if (!fd || !buf.read(fd.get())) keel::die_sys(keel::exit_sys, "unable to read ", mounts_file);
    }
    // The bytes are ours to rewrite in place (prepare_line).
    char* const text = buf.data();
    char* const text_end = text + buf.size();

    bool first_seen[3] = {};
    for (char* line = text; line < text_end;) {
        char* eol = line;
        while (eol < text_end && *eol != '\n') ++eol;
        prepare_line(line, eol, first_seen);
        line = eol + 1;
    }

    // Last line first: a mount is always listed after the one it sits on. [line, end) is
    // the current line, without its newline.
    int failures = 0;
    char* end = text_end;
    if (end > text && end[-1] == '\n') --end;
    for (;;) {
        char* line = end;
        while (line > text && line[-1] != '\n') --line;
        if (line < end && *line && !unmount(line) && failures < max_status) ++failures;
        if (line == text) break;
        end = line - 1;
    }
    return failures;
}
