// The harness of the unit-test programs (libtest, logtest): CHECK, a scratch directory per run,
// and main's work of running one named section. A failed check prints "file:line: CHECK
// failed: expr"; a run exits 0 if every check passed, 1 otherwise, 2 for an unknown section.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <ftw.h>
#include <span>
#include <string>
#include <string_view>
#include <sys/stat.h>

inline int failures = 0;
inline std::string tmp; // this run's scratch directory, removed at the end

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            ++failures;                                                                     \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                                   \
    } while (0)

struct Section {
    std::string_view name;
    void (*run)();
};

// For nftw: removes each entry, and goes on past one that cannot be removed.
inline int remove_entry(const char* path, const struct stat*, int, FTW*)
{
    remove(path);
    return 0;
}

// main(): "PROG SECTION" runs that section in a fresh scratch directory.
inline int run_section(const char* prog, std::span<const Section> sections, int argc, char** argv)
{
    for (const Section& s : sections) {
        if (argc != 2 || s.name != argv[1]) continue;
        const char* base = std::getenv("TMPDIR");
        std::string templ = std::string(base && *base ? base : "/tmp") + "/keel-" + prog + ".XXXXXX";
        if (!mkdtemp(templ.data())) {
            std::fprintf(stderr, "%s: mkdtemp: failed\n", prog);
            return 2;
        }
        tmp = templ;
        s.run();
        nftw(tmp.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return failures ? 1 : 0;
    }
    std::fprintf(stderr, "usage: %s SECTION\nsections:", prog);
    for (const Section& s : sections)
        std::fprintf(stderr, " %.*s", static_cast<int>(s.name.size()), s.name.data());
    std::fprintf(stderr, "\n");
    return 2;
}
