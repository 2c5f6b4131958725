// execline's block convention, for tools that take a list of arguments of any length before a
// program (svlisten, ftrig-listen): the list ends with an empty argument, and each argument of
// the list may carry one leading space, which is how execlineb passes a block written
// "{ a b }" (as " a" " b" ""). So `svlisten a b "" prog` from a shell and
// `svlisten { a b } prog` from execlineb reach the tool in the same shape.
#pragma once

namespace keel {

/// Finds the end of the block that starts at argv[0] (argv ends with a null pointer): returns
/// the index of the empty argument that ends it, or -1 if no empty argument does. Arguments
/// before the end lose one leading space, in place (argv[i] is advanced by one byte); when the
/// block is unterminated they are left as they were.
[[nodiscard]] int block_end(char** argv) noexcept;

} // namespace keel
