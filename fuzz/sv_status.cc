// supervise/status decoding (35 and 43-byte layouts) and death_tally records (14 bytes): what
// every reader of a service's state goes through (lib svstatus). Decoded values must encode
// back to the same bytes.
#include "fuzz.h"

#include "keel/svstatus.h"

#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view in = fz::bytes(data, size);
    keel::sv::Status st;
    if (keel::sv::status_unpack(std::span<const char>(in.data(), in.size()), st)) {
        (void)st.up();
        (void)st.ready_now();
        (void)st.not_started();
        char out[keel::sv::status_len];
        keel::sv::status_pack(st, out);
        keel::sv::Status again;
        if (!keel::sv::status_unpack(std::span<const char>(out, sizeof out), again)) std::abort();
        if (again.pid != st.pid || again.wstat != st.wstat || again.stamp.sec != st.stamp.sec
            || again.stamp.nano != st.stamp.nano || again.paused != st.paused
            || again.finishing != st.finishing || again.wantup != st.wantup
            || again.ready != st.ready)
            std::abort();
    } else {
        (void)keel::sv::status_error(errno);
    }
    for (std::size_t off = 0; off + keel::sv::tally_record_len <= in.size();
         off += keel::sv::tally_record_len) {
        keel::sv::Death d;
        if (!keel::sv::death_unpack(
                std::span<const char, keel::sv::tally_record_len>(in.data() + off,
                                                                  keel::sv::tally_record_len),
                d))
            continue;
        char out[keel::sv::tally_record_len];
        keel::sv::death_pack(d, out);
        if (std::memcmp(out, in.data() + off, sizeof out) != 0) std::abort();
    }
    return 0;
}
