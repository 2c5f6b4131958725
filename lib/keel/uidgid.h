// Accounts and credentials: user and group lookup by name, supplementary group lists, gid list
// parsing, and applying uid/gid/groups before an exec. Normal builds ask libc (and so NSS); a
// KEEL_STATIC build, where static glibc cannot load NSS modules, reads /etc/passwd and
// /etc/group itself through the *_in functions, which every build compiles so they can be
// tested. Nothing here prints, exits or allocates; errors return with errno set.
#pragma once

#include <array>
#include <climits>
#include <cstddef>
#include <span>
#include <string_view>
#include <sys/types.h>

namespace keel {

/// The most supplementary groups a list holds (the kernel's limit).
inline constexpr std::size_t max_groups = NGROUPS_MAX;

inline constexpr char passwd_file[] = "/etc/passwd";
inline constexpr char group_file[] = "/etc/group";

/// Outcome of a lookup: the name exists, it does not, or the database could not be read.
enum class Lookup { found, unknown, error };

struct UserIds {
    uid_t uid = 0;
    gid_t gid = 0; ///< primary group
};

/// A supplementary group list of up to max_groups gids, plus one spare slot in which
/// apply_creds() adds the primary gid. About 256 KiB: give it static storage.
struct GidList {
    std::array<gid_t, max_groups + 1> gids{};
    std::size_t size = 0;

    [[nodiscard]] std::span<const gid_t> view() const noexcept { return {gids.data(), size}; }
};

/// Looks up user name. found: out holds its uid and primary gid. unknown: no such user
/// (out untouched). error: the database could not be read (errno set).
[[nodiscard]] Lookup find_user(const char* name, UserIds& out) noexcept;

/// Looks up group name; found: out holds its gid. Otherwise as find_user().
[[nodiscard]] Lookup find_group(const char* name, gid_t& out) noexcept;

/// Looks up the user whose uid is uid (the first one in the database). found: out holds its
/// uid and primary gid. Otherwise as find_user().
[[nodiscard]] Lookup find_user_by_uid(uid_t uid, UserIds& out) noexcept;

/// Looks up the name of group gid into name, NUL-terminated. found: name holds it. unknown: no
/// such group. error: errno set (ERANGE if the name does not fit).
[[nodiscard]] Lookup find_group_name(gid_t gid, std::span<char> name) noexcept;

/// Fills out with the gids of the groups that list user name as a member, in database order,
/// without duplicates and without primary (the user's primary gid, which apply_creds() adds
/// back). False on error with errno set: ERANGE if there are more than max_groups, or a read
/// error (out then holds what was read).
[[nodiscard]] bool user_groups(const char* name, gid_t primary, GidList& out) noexcept;

/// find_user() over a passwd(5) file (the KEEL_STATIC implementation). Lines of any length
/// are read with a fixed buffer. Blanks before the name are ignored; empty lines, lines
/// starting with '#', lines with fewer than 4 fields, and lines whose uid or gid is not a
/// plain decimal number are skipped. A missing file means unknown.
[[nodiscard]] Lookup find_user_in(const char* passwd_path, std::string_view name,
                                  UserIds& out) noexcept;

/// find_group() over a group(5) file; lines with fewer than 3 fields or a bad gid are skipped.
[[nodiscard]] Lookup find_group_in(const char* group_path, std::string_view name,
                                   gid_t& out) noexcept;

/// find_user_by_uid() and find_group_name() over passwd(5) / group(5) files.
[[nodiscard]] Lookup find_user_by_uid_in(const char* passwd_path, uid_t uid,
                                         UserIds& out) noexcept;
[[nodiscard]] Lookup find_group_name_in(const char* group_path, gid_t gid,
                                        std::span<char> name) noexcept;

/// user_groups() over a group(5) file. A missing file yields an empty list.
[[nodiscard]] bool user_groups_in(const char* group_path, std::string_view name, gid_t primary,
                                  GidList& out) noexcept;

/// Parses a gid list as s6 writes and reads it: decimal gids separated by runs of ',', ';',
/// space, tab, CR or LF, trailing separators allowed; "" is the empty list. False with
/// EINVAL if s is malformed (a leading separator, a non-digit, a gid out of range), ERANGE
/// if it holds more than max_groups gids; out is then unspecified.
[[nodiscard]] bool scan_gid_list(std::string_view s, GidList& out) noexcept;

/// The step of apply_creds() that failed.
enum class CredStep { none, groups, gid, uid };

/// What a step does, for messages: "unable to " + this.
[[nodiscard]] constexpr std::string_view cred_step_action(CredStep s) noexcept
{
    switch (s) {
    case CredStep::groups: return "set supplementary group list";
    case CredStep::gid: return "setgid";
    case CredStep::uid: return "setuid";
    default: return "set credentials";
    }
}

/// Sets the credentials of this process, in this order: if groups is not null, the
/// supplementary groups to *groups plus the primary gid (gid, or the current egid when gid is
/// 0; it is appended to *groups unless already there); then the gid; then the uid. A gid or
/// uid of 0 means "leave it alone": setgid(0) and setuid(0) are never called. On failure
/// returns false, errno set, and failed names the step; earlier steps stay applied.
[[nodiscard]] bool apply_creds(uid_t uid, gid_t gid, GidList* groups, CredStep& failed) noexcept;

} // namespace keel
