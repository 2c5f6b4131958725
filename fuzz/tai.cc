// TAI64N: the external form "@" + 24 hex digits (tai_scan, as tai64nlocal reads it), the
// packed 12 bytes (tai_unpack), and their conversions to Unix and calendar time (lib tai).
#include "fuzz.h"

#include "keel/tai.h"

#include <array>
#include <ctime>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const bool tz = (setenv("TZ", "UTC", 1), tzset(), true);
    (void)tz;
    std::string_view in = fz::bytes(data, size);
    keel::Tai64n t;
    if (keel::tai_scan(in, t)) {
        std::array<char, keel::tai64n_text_len> text;
        const std::string_view s = keel::tai_fmt(t, text);
        keel::Tai64n back;
        if (!keel::tai_scan(s, back) || back.sec != t.sec || back.nano != t.nano) std::abort();
        std::array<char, keel::tai_time_text_max> cal;
        (void)keel::tai_fmt_time(t, true, cal);
        (void)keel::tai_fmt_time(t, false, cal);
    }
    if (in.size() >= keel::tai64n_packed_len) {
        keel::Tai64n p;
        if (keel::tai_unpack(std::span<const char, keel::tai64n_packed_len>(in.data(),
                                                                            keel::tai64n_packed_len),
                             p)) {
            timespec ts;
            bool leap;
            if (keel::tai_to_unix(p, ts, leap)) {
                const keel::Tai64n again = keel::tai_from_unix(ts);
                (void)again;
            }
            const keel::Tai64n now = keel::tai_now();
            const keel::Tai64n sane = keel::tai_sane(p, now);
            (void)keel::tai_seconds_since(sane, now);
            std::array<char, keel::tai_time_text_max> cal;
            (void)keel::tai_fmt_time(p, true, cal);
        }
    }
    return 0;
}
