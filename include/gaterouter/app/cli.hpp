#pragma once
// The command line's subcommands that work on the ledger's SQLite file directly, beside a running gateway
// (WAL lets both use it): `gaterouter keys create|list|revoke` and `gaterouter spend`. See docs/budgets.md.

#include <string_view>

namespace gaterouter::app {

// True when `command` (argv[1]) is one of the subcommands below.
bool is_cli_command(std::string_view command);

// Runs `gaterouter <command> ...`; returns the exit code (0 done, 1 failed, 2 bad usage).
int run_cli(int argc, char** argv);

}  // namespace gaterouter::app
