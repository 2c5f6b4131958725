// supervise/death_tally as svdt reads it and supervise appends to it (lib svstatus
// TallyReader, tally_append): the input (after two bytes choosing how many records to read
// and to keep) is the file. A file whose size is not a multiple of 14 holds no record.
#include "fuzz.h"

#include "keel/svstatus.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static char dir[300], sub[320], file[340];
    if (!dir[0]) {
        std::snprintf(dir, sizeof dir, "%s/svdt", fz::scratch_dir());
        std::snprintf(sub, sizeof sub, "%s/supervise", dir);
        std::snprintf(file, sizeof file, "%s/death_tally", sub);
        if (mkdir(dir, 0755) < 0 || mkdir(sub, 0755) < 0) std::abort();
        std::atexit([] {
            unlink(file);
            rmdir(sub);
            rmdir(dir);
        });
    }
    std::string_view in = fz::bytes(data, size);
    const std::size_t last = fz::pick(in);
    const unsigned keep = fz::pick(in);
    fz::put_file(file, in);
    const std::size_t records = in.size() % keel::sv::tally_record_len
        ? 0 : in.size() / keel::sv::tally_record_len;
    keel::sv::TallyReader r;
    if (!r.open(dir, last)) std::abort();
    std::size_t got = 0;
    keel::sv::Death d;
    int k;
    while ((k = r.next(d)) == 1) ++got;
    if (got > last || got > records) std::abort();
    if (k == 0 && got != (records < last ? records : last)) std::abort();
    const keel::sv::Death now = keel::sv::death_from_wstat(0x0f, keel::tai_now());
    if (!keel::sv::tally_append(dir, now, keep)) std::abort();
    keel::sv::TallyReader again;
    if (!again.open(dir)) std::abort();
    std::size_t total = 0;
    while (again.next(d) == 1) ++total;
    if (total > keep) std::abort();
    return 0;
}
