// tai64n: copy stdin to stdout, prefixing each line with the TAI64N stamp of its arrival and a
// space (s6-tai64n compatible). Lines are streamed, never held whole, so any length works; an
// unterminated last line gets a newline. Output is flushed after each read, before the next
// one can block, so an interactive pipe sees its lines at once.
#include "keel/buf.h"
#include "keel/err.h"
#include "keel/opt.h"
#include "keel/str.h"
#include "keel/tai.h"

#include <array>
#include <cstring>
#include <string_view>

namespace {

constexpr std::string_view usage =
    "tai64n";

constexpr std::size_t buf_size = 65536;

[[noreturn]] void die_write()
{
    keel::die_sys(keel::exit_sys, "unable to write to stdout");
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "tai64n";
    keel::OptParser opts(argc, argv, "");
    if (opts.next() || opts.index() != argc) keel::die_usage(usage);

    keel::BufReader<buf_size> in(0);
    keel::BufWriter<buf_size> out(1);
    std::array<char, keel::tai64n_text_len + 1> stamp;
    bool at_line_start = true;
    for (;;) {
        const ssize_t r = in.fill();
        if (r < 0) keel::die_sys(keel::exit_sys, "unable to read from stdin");
        if (r == 0) break;
        // Every line that starts in this batch arrived now.
        (void)keel::tai_fmt(keel::tai_now(), std::span(stamp).first<keel::tai64n_text_len>());
        stamp.back() = ' ';
        std::string_view d = in.data();
        while (!d.empty()) {
            if (at_line_start && !out.put(std::string_view(stamp.data(), stamp.size())))
                die_write();
            const void* nl = std::memchr(d.data(), '\n', d.size());
            const std::size_t n = nl ? static_cast<const char*>(nl) - d.data() + 1 : d.size();
            if (!out.put(keel::head(d, n))) die_write();
            at_line_start = nl != nullptr;
            d.remove_prefix(n);
        }
        in.consume(in.data().size());
        if (!out.flush()) die_write();
    }
    if (!at_line_start && !out.put('\n')) die_write();
    if (!out.flush()) die_write();
    return 0;
}
