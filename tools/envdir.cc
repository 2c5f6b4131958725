// envdir: set environment variables from the files of a directory, then exec into a program.
// One variable per file (named after it): the first line with trailing blanks removed, NULs as
// newlines; an empty file removes the variable. s6-envdir compatible, options included.
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/env.h"
#include "keel/fd.h"
#include "keel/opt.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <string_view>

namespace {

constexpr std::string_view usage =
    "envdir [ -I | -i ] [ -n ] [ -f ] [ -L ] [ -c nullis ] dir prog...";

// s6 reads at most this many bytes of each file unless -L is given.
constexpr std::size_t default_clamp = 4095;

struct Options {
    bool missing_ok = false; // -I
    bool unlimited = false;  // -L
    keel::EnvFileRules rules; // -n -f -c
};

// A growable byte buffer for one file's content; the tool execs soon, so it is never freed.
struct Content {
    char* data = nullptr;
    std::size_t cap = 0;
};

// Reads the file into c (at most `limit` bytes unless limit == 0). Returns the length or -1.
ssize_t read_value(int fd, Content& c, std::size_t limit)
{
    std::size_t len = 0;
    for (;;) {
        if (limit && len >= limit) break;
        if (len + 1 >= c.cap) {
            const std::size_t ncap = c.cap ? c.cap * 2 : default_clamp + 1;
            auto* p = static_cast<char*>(std::realloc(c.data, ncap));
            if (!p) return -1;
            c.data = p;
            c.cap = ncap;
        }
        std::size_t want = c.cap - 1 - len;
        if (limit && want > limit - len) want = limit - len;
        const ssize_t r = keel::read_some(fd, c.data + len, want);
        if (r < 0) return -1;
        if (r == 0) break;
        len += static_cast<std::size_t>(r);
    }
    return static_cast<ssize_t>(len);
}

[[noreturn]] void die_envdir(const char* dir)
{
    keel::die_sys(keel::exit_sys, "unable to envdir ", dir);
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "envdir";
    Options o;
    keel::OptParser opts(argc, argv, "Iinfc:L");
    while (int c = opts.next()) {
        switch (c) {
        case 'I': o.missing_ok = true; break;
        case 'i': o.missing_ok = false; break;
        case 'n': o.rules.no_chomp = true; break;
        case 'f': o.rules.whole_file = true; break;
        case 'L': o.unlimited = true; break;
        case 'c':
            if (!*opts.arg()) keel::die_usage(usage);
            o.rules.nul_is = *opts.arg();
            break;
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc < 2) keel::die_usage(usage);
    const char* dir = argv[0];

    DIR* d = opendir(dir);
    if (!d) {
        if (errno == ENOENT && o.missing_ok) keel::xexec(argv + 1);
        die_envdir(dir);
    }
    Content buf;
    for (;;) {
        errno = 0;
        const dirent* e = readdir(d);
        if (!e) {
            if (errno) die_envdir(dir);
            break;
        }
        if (e->d_name[0] == '.' || std::strchr(e->d_name, '=')) continue;
        keel::Fd fd = keel::open_at(dirfd(d), e->d_name, O_RDONLY);
        if (!fd) die_envdir(dir);
        const ssize_t n = read_value(fd.get(), buf, o.unlimited ? 0 : default_clamp);
        if (n < 0) die_envdir(dir);
        bool ok;
        if (n == 0) {
            ok = keel::env_unset(e->d_name);
        } else {
            (void)keel::env_file_value(buf.data, static_cast<std::size_t>(n), o.rules);
            ok = keel::env_set(e->d_name, buf.data);
        }
        if (!ok) die_envdir(dir);
    }
    keel::xexec(argv + 1);
}
