// A recursive copy that keeps what a run-image needs: file types (directories, regular files,
// FIFOs, symbolic links, device nodes), permission bits including setuid/setgid/sticky, and
// owners. stage1 copies BASEDIR/run-image onto /run with it; s6's hiercopy does the same.
// Nothing here prints or exits.
#pragma once

namespace keel {

/// Copies the tree at src to dst. dst may already exist (its content is merged: existing
/// directories are reused, other existing entries replaced); dst itself gets src's mode and
/// owner. Symbolic links are copied as links, never followed (except src itself). False with
/// errno on the first failure; what was copied so far stays.
[[nodiscard]] bool copy_tree(const char* src, const char* dst) noexcept;

} // namespace keel
