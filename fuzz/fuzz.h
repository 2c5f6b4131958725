// What the libFuzzer targets share: the entry point's declaration, splitting one input into
// parts, and giving bytes a path (a memfd seen as /proc/self/fd/N, or a file in a private
// temporary directory) for parsers that read files. Nothing here runs a program.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fz {

inline std::string_view bytes(const std::uint8_t* data, std::size_t size) noexcept
{
    return {reinterpret_cast<const char*>(data), size};
}

/// Takes the part of in up to the first sep (or all of it) and removes it, and the separator,
/// from in.
inline std::string_view take(std::string_view& in, char sep) noexcept
{
    const std::size_t k = in.find(sep);
    const std::string_view part = in.substr(0, k);
    in = k == std::string_view::npos ? std::string_view() : in.substr(k + 1);
    return part;
}

/// One byte off the front of in (0 if empty): the fuzzer's choice of a mode or flag.
inline unsigned char pick(std::string_view& in) noexcept
{
    if (in.empty()) return 0;
    const auto c = static_cast<unsigned char>(in[0]);
    in.remove_prefix(1);
    return c;
}

/// True for text that glibc's regcomp takes seconds or gigabytes to compile: a bound
/// ("a{999}{999}") or a few repetition operators in a row: "^.**++++^" (six) did not compile
/// within a minute, five took 25 ms (glibc 2.36, no sanitizer). That cost is glibc's, s6's
/// tools pay it too, and the patterns come from the command line: targets skip such inputs
/// instead of timing out on them.
inline bool costly_regex(std::string_view s) noexcept
{
    if (s.find('{') != s.npos) return true;
    std::size_t reps = 0;
    for (const char c : s) reps += c == '+' || c == '*' || c == '?';
    return reps > 4;
}

/// A copy of s, NUL-terminated, in its own malloc'd block (so ASan sees any overread).
struct CStr {
    char* p;
    explicit CStr(std::string_view s) noexcept : p(static_cast<char*>(std::malloc(s.size() + 1)))
    {
        if (!p) std::abort();
        if (!s.empty()) std::memcpy(p, s.data(), s.size());
        p[s.size()] = 0;
    }
    CStr(const CStr&) = delete;
    CStr& operator=(const CStr&) = delete;
    ~CStr() { std::free(p); }
};

/// Bytes with a path: an anonymous memory file, /proc/self/fd/N.
class MemFile {
public:
    explicit MemFile(std::string_view content) noexcept
    {
        fd_ = memfd_create("fuzz", MFD_CLOEXEC);
        if (fd_ < 0) std::abort();
        std::size_t off = 0;
        while (off < content.size()) {
            const ssize_t w = write(fd_, content.data() + off, content.size() - off);
            if (w <= 0) std::abort();
            off += static_cast<std::size_t>(w);
        }
        std::snprintf(path_, sizeof path_, "/proc/self/fd/%d", fd_);
    }
    MemFile(const MemFile&) = delete;
    MemFile& operator=(const MemFile&) = delete;
    ~MemFile() { close(fd_); }
    [[nodiscard]] const char* path() const noexcept { return path_; }

private:
    int fd_;
    char path_[32];
};

/// A private directory for the whole fuzzing process (made once, under TMPDIR, else /dev/shm
/// (a tmpfs: fsync costs nothing), else /tmp, and removed at exit when empty); targets put
/// their files in it and remove them at exit.
inline const char* scratch_dir() noexcept
{
    static char dir[256] = {};
    if (!dir[0]) {
        const char* t = std::getenv("TMPDIR");
        if (!t || !*t) t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        std::snprintf(dir, sizeof dir, "%s/keel-fuzz.XXXXXX", t);
        if (!mkdtemp(dir)) std::abort();
        std::atexit([] { rmdir(dir); });
    }
    return dir;
}

/// Writes content to path (mode 0644), aborting on failure: the harness, not the code under
/// test, failed.
inline void put_file(const char* path, std::string_view content) noexcept
{
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) std::abort();
    std::size_t off = 0;
    while (off < content.size()) {
        const ssize_t w = write(fd, content.data() + off, content.size() - off);
        if (w <= 0) std::abort();
        off += static_cast<std::size_t>(w);
    }
    close(fd);
}

} // namespace fz
