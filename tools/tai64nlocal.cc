// tai64nlocal: copy stdin to stdout, replacing the TAI64N label that starts a line with the
// local time it stands for, "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" (-g: UTC). s6-tai64nlocal
// compatible. Lines are streamed, so any length works; only their first 26 bytes are held.
#include "keel/buf.h"
#include "keel/err.h"
#include "keel/opt.h"
#include "keel/str.h"
#include "keel/tai.h"

#include <array>
#include <cstring>
#include <string_view>
#include <time.h>

namespace {

constexpr std::string_view usage =
    "tai64nlocal [ -g ]";

constexpr std::size_t buf_size = 65536;
// A line is converted only if it is longer than its label (its newline counts, as in s6).
constexpr std::size_t min_line = keel::tai64n_text_len + 1;

[[noreturn]] void die_write()
{
    keel::die_sys(keel::exit_sys, "unable to write to stdout");
}

void put(keel::Writer& out, std::string_view s)
{
    if (!out.put(s)) die_write();
}

// Writes the start of a line: its label converted if it has one. Returns the bytes used up.
std::size_t put_line_start(keel::Writer& out, std::string_view d, bool utc)
{
    keel::Tai64n t;
    std::array<char, keel::tai_time_text_max> text;
    if (keel::tai_scan(keel::head(d, keel::tai64n_text_len), t)) {
        const std::string_view s = keel::tai_fmt_time(t, utc, text);
        if (!s.empty()) {
            put(out, s);
            return keel::tai64n_text_len;
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "tai64nlocal";
    bool utc = false;
    keel::OptParser opts(argc, argv, "g");
    while (int c = opts.next()) {
        switch (c) {
        case 'g': utc = true; break;
        default: keel::die_usage(usage);
        }
    }
    if (opts.index() != argc) keel::die_usage(usage);
    tzset();

    keel::BufReader<buf_size> in(0);
    keel::BufWriter<buf_size> out(1);
    bool at_line_start = true;
    for (;;) {
        const ssize_t r = in.fill();
        if (r < 0) keel::die_sys(keel::exit_sys, "unable to read from stdin");
        const bool eof = r == 0;
        std::string_view d = in.data();
        while (!d.empty()) {
            if (at_line_start) {
                // Decide on the label once the line is known to be long enough, or not.
                if (keel::head(d, keel::tai64n_text_len).find('\n') == d.npos) {
                    if (d.size() < min_line && !eof) break;
                    if (d.size() >= min_line) d.remove_prefix(put_line_start(out, d, utc));
                }
                at_line_start = false;
            }
            const void* nl = std::memchr(d.data(), '\n', d.size());
            const std::size_t n = nl ? static_cast<const char*>(nl) - d.data() + 1 : d.size();
            put(out, keel::head(d, n));
            at_line_start = nl != nullptr;
            d.remove_prefix(n);
        }
        // What is left (less than one label) waits for the next read.
        in.consume(in.data().size() - d.size());
        if (!out.flush()) die_write();
        if (eof) break;
    }
    return 0;
}
