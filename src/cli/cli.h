#pragma once
// The `bulwark` command: serve, user add, fsck, typosquat, popularity, doctor (see
// `bulwark --help`).

namespace bulwark::cli {

int Main(int argc, char** argv);

}  // namespace bulwark::cli
