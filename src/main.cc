#include "cli/cli.h"

int main(int argc, char** argv) { return bulwark::cli::Main(argc, argv); }
