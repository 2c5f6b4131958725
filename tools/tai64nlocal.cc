// tai64nlocal: copy stdin to stdout, replacing the TAI64N label that starts a line with the
// local time it stands for, "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" (-g: UTC). s6-tai64nlocal
// compatible. Lines are streamed, so any length works; only their first 26 bytes are held.
#include "keel/buf.h"
#include "keel/err.h"
#include "keel/opt.h"
#include "keel/tailocal.h"

#include <string_view>
#include <time.h>

namespace {

constexpr std::string_view usage =
    "tai64nlocal [ -g ]";

constexpr std::size_t buf_size = 65536;

bool put(void* out, std::string_view s) noexcept
{
    return static_cast<keel::Writer*>(out)->put(s);
}

[[noreturn]] void die_write()
{
    keel::die_sys(keel::exit_sys, "unable to write to stdout");
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
    keel::TaiLocal filter(utc);
    for (;;) {
        const ssize_t r = in.fill();
        if (r < 0) keel::die_sys(keel::exit_sys, "unable to read from stdin");
        const bool eof = r == 0;
        bool failed;
        // What is left (less than one label) waits for the next read.
        in.consume(filter.convert(in.data(), eof, put, &out, failed));
        if (failed || !out.flush()) die_write();
        if (eof) break;
    }
    return 0;
}
