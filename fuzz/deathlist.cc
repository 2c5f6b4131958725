// permafailon's statuslist (lib deathlist parse_deathlist(), the parser permafailon runs):
// exit codes, ranges and signal names. A list that parses marks only codes 0..255 and
// signals 1..64; an error has a message.
#include "fuzz.h"

#include "keel/deathlist.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    keel::sv::DeathList l;
    const keel::sv::DeathListError e = keel::sv::parse_deathlist(fz::bytes(data, size), l);
    if ((e == keel::sv::DeathListError::none) != keel::sv::deathlist_error(e).empty())
        std::abort();
    if (l.sigs[0]) std::abort();
    return 0;
}
