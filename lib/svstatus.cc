// supervise/status and supervise/death_tally, byte for byte as s6 writes them (keel/svstatus.h).
#include "keel/svstatus.h"

#include "keel/path.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace keel::sv {
namespace {

constexpr unsigned char flag_paused = 1, flag_finishing = 2, flag_wantup = 4, flag_ready = 8;

void put_be(char* p, std::uint64_t v, int bytes) noexcept
{
    for (int i = bytes - 1; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}

std::uint64_t get_be(const char* p, int bytes) noexcept
{
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<unsigned char>(p[i]);
    return v;
}

// DIR/supervise/NAME into path.
bool sv_path(PathBuf<>& path, const char* dir, std::string_view name) noexcept
{
    return path.set(dir, "/supervise/", name);
}

// DIR/supervise, open as a directory.
Fd open_svdir(const char* dir) noexcept
{
    PathBuf<> path;
    if (!path.set(dir, "/supervise")) return Fd();
    return open_file(path.c_str(), O_RDONLY | O_DIRECTORY);
}

// Writes data to NAME.new in the directory svdir, then renames it to NAME. Names are short and
// fixed, so no path buffer is needed (supervise calls this on every change).
bool replace_file_at(int svdir, const char* name, const char* tmpname, const char* data,
                     std::size_t len) noexcept
{
    Fd fd = open_at(svdir, tmpname, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!fd) return false;
    if (!write_all(fd.get(), data, len)) {
        unlinkat(svdir, tmpname, 0);
        return false;
    }
    fd.reset();
    if (renameat(svdir, tmpname, svdir, name) < 0) {
        unlinkat(svdir, tmpname, 0);
        return false;
    }
    return true;
}

} // namespace

void status_pack(const Status& s, std::span<char, status_len> out) noexcept
{
    tai_pack(s.stamp, out.subspan<0, 12>());
    tai_pack(s.readystamp, out.subspan<12, 12>());
    put_be(out.data() + 24, s.pid, 8);
    put_be(out.data() + 32, s.wstat, 2);
    out[34] = static_cast<char>((s.paused ? flag_paused : 0) | (s.finishing ? flag_finishing : 0) |
                                (s.wantup ? flag_wantup : 0) | (s.ready ? flag_ready : 0));
}

bool status_unpack(std::span<const char> in, Status& out) noexcept
{
    if (in.size() != status_len && in.size() != status_len_213) {
        errno = in.size() < status_len ? EPIPE : EFBIG;
        return false;
    }
    Status s;
    if (!tai_unpack(in.subspan<0, 12>(), s.stamp) ||
        !tai_unpack(in.subspan<12, 12>(), s.readystamp))
        return false;
    s.pid = get_be(in.data() + 24, 8);
    std::size_t rest = 32;
    if (in.size() == status_len_213) {
        s.pgid = get_be(in.data() + 32, 8);
        rest = 40;
    }
    s.wstat = static_cast<std::uint16_t>(get_be(in.data() + rest, 2));
    const auto f = static_cast<unsigned char>(in[rest + 2]);
    s.paused = f & flag_paused;
    s.finishing = f & flag_finishing;
    s.wantup = f & flag_wantup;
    s.ready = f & flag_ready;
    out = s;
    return true;
}

bool status_read(const char* dir, Status& out) noexcept
{
    PathBuf<> path;
    if (!sv_path(path, dir, "status")) return false;
    Fd fd = open_read(path.c_str());
    if (!fd) return false;
    // One byte more than the longest layout tells a 43-byte file from a longer one.
    char buf[status_len_213 + 1];
    const ssize_t n = read_full(fd.get(), buf, sizeof buf);
    if (n < 0) return false;
    return status_unpack({buf, static_cast<std::size_t>(n)}, out);
}

std::string_view status_error(int e) noexcept
{
    switch (e) {
    case EPIPE: return "status file is truncated";
    case EFBIG: return "status file is too long";
    case EINVAL: return "status file holds an invalid timestamp";
    default: return strerror(e);
    }
}

bool status_write_at(int svdir, const Status& s) noexcept
{
    char buf[status_len];
    status_pack(s, buf);
    return replace_file_at(svdir, "status", "status.new", buf, sizeof buf);
}

bool status_write(const char* dir, const Status& s) noexcept
{
    Fd d = open_svdir(dir);
    return d && status_write_at(d.get(), s);
}

void death_pack(const Death& d, std::span<char, tally_record_len> out) noexcept
{
    tai_pack(d.when, out.subspan<0, 12>());
    out[12] = static_cast<char>(d.exitbyte);
    out[13] = static_cast<char>(d.sig);
}

bool death_unpack(std::span<const char, tally_record_len> in, Death& out) noexcept
{
    Death d;
    if (!tai_unpack(in.subspan<0, 12>(), d.when)) return false;
    d.exitbyte = static_cast<std::uint8_t>(in[12]);
    d.sig = static_cast<std::uint8_t>(in[13]);
    out = d;
    return true;
}

Death death_from_wstat(int wstat, const Tai64n& when) noexcept
{
    Death d;
    d.when = when;
    if (WIFSIGNALED(wstat)) {
        d.sig = static_cast<std::uint8_t>(WTERMSIG(wstat));
        d.exitbyte = static_cast<std::uint8_t>(128 + d.sig);
    } else {
        d.exitbyte = static_cast<std::uint8_t>(WEXITSTATUS(wstat));
    }
    return d;
}

bool tally_append_at(int svdir, const Death& d, unsigned max) noexcept
{
    Fd out = open_at(svdir, "death_tally.new", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!out) return false;
    bool ok = true;
    if (max) {
        // Copy the last max-1 old records, then add the new one.
        if (Fd in = open_at(svdir, "death_tally", O_RDONLY)) {
            struct stat st;
            if (fstat(in.get(), &st) == 0 && st.st_size % tally_record_len == 0) {
                const auto have = static_cast<std::size_t>(st.st_size) / tally_record_len;
                const std::size_t keep = have < max ? have : max - 1;
                std::size_t left = keep * tally_record_len;
                off_t at = static_cast<off_t>((have - keep) * tally_record_len);
                char buf[tally_record_len * 36];
                while (ok && left) {
                    const std::size_t want = left < sizeof buf ? left : sizeof buf;
                    ssize_t r;
                    do r = pread(in.get(), buf, want, at);
                    while (r < 0 && errno == EINTR);
                    if (r <= 0) break; // shrunk under us: keep what was copied
                    ok = write_all(out.get(), buf, static_cast<std::size_t>(r));
                    left -= static_cast<std::size_t>(r);
                    at += r;
                }
            }
        }
        char rec[tally_record_len];
        death_pack(d, rec);
        ok = ok && write_all(out.get(), rec, sizeof rec);
    }
    out.reset();
    if (!ok || renameat(svdir, "death_tally.new", svdir, "death_tally") < 0) {
        unlinkat(svdir, "death_tally.new", 0);
        return false;
    }
    return true;
}

bool tally_append(const char* dir, const Death& d, unsigned max) noexcept
{
    Fd sv = open_svdir(dir);
    return sv && tally_append_at(sv.get(), d, max);
}

bool tally_clear(const char* dir) noexcept
{
    Fd sv = open_svdir(dir);
    return sv && replace_file_at(sv.get(), "death_tally", "death_tally.new", "", 0);
}

bool TallyReader::open(const char* dir, std::size_t last) noexcept
{
    left_ = 0;
    PathBuf<> path;
    if (!sv_path(path, dir, "death_tally")) return false;
    fd_ = open_read(path.c_str());
    if (!fd_) return errno == ENOENT;
    struct stat st;
    if (fstat(fd_.get(), &st) < 0) return false;
    if (st.st_size % tally_record_len) return true;
    const auto have = static_cast<std::size_t>(st.st_size) / tally_record_len;
    left_ = have < last ? have : last;
    return lseek(fd_.get(), static_cast<off_t>((have - left_) * tally_record_len), SEEK_SET) >= 0;
}

int TallyReader::next(Death& d) noexcept
{
    if (!left_) return 0;
    char rec[tally_record_len];
    const ssize_t n = read_full(fd_.get(), rec, sizeof rec);
    if (n < 0) return -1;
    if (static_cast<std::size_t>(n) < sizeof rec) {
        left_ = 0; // shrunk while we read
        return 0;
    }
    --left_;
    return death_unpack(rec, d) ? 1 : -1;
}

} // namespace keel::sv
