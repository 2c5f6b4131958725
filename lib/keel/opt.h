// The one option parser of every keel tool: a getopt-style iterator over argv with s6's rules.
// Options end at the first argument that is not an option, at "-" alone, or after "--".
// Short options cluster ("-nf"); an option argument is either the rest of the cluster ("-c!")
// or the next argument ("-c !"). Long options ("--ctty=3" or "--ctty 3") are looked up in an
// optional constexpr table and reported as their short key.
#pragma once

#include <span>
#include <string_view>

namespace keel {

struct LongOpt {
    std::string_view name; ///< without the leading "--"
    int key;               ///< value next() returns for it (usually the short letter)
    bool has_arg;
};

class OptParser {
public:
    /// spec: option letters, each followed by ':' if it takes an argument ("Iinfc:L").
    OptParser(int argc, char* const* argv, std::string_view spec,
              std::span<const LongOpt> longs = {}) noexcept
        : argc_(argc), argv_(argv), spec_(spec), longs_(longs)
    {}

    /// Returns the next option's key, or 0 when the options are over (index() then points
    /// at the first operand); once it has returned 0, it keeps returning 0. Returns '?' for an unknown option and ':' for a missing
    /// argument; bad() then holds the offending letter (or 0 for a long option).
    [[nodiscard]] int next() noexcept;

    /// The argument of the option next() just returned (NUL-terminated, inside argv).
    [[nodiscard]] const char* arg() const noexcept { return arg_; }
    /// Index in argv of the first argument not consumed yet.
    [[nodiscard]] int index() const noexcept { return index_; }
    [[nodiscard]] int bad() const noexcept { return bad_; }

private:
    int next_long(const char* word) noexcept;

    int argc_;
    char* const* argv_;
    std::string_view spec_;
    std::span<const LongOpt> longs_;
    int index_ = 1;
    const char* cluster_ = nullptr; // rest of the current "-abc" word
    const char* arg_ = nullptr;
    int bad_ = 0;
    bool done_ = false;
};

} // namespace keel
