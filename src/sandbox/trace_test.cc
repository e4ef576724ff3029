#include "sandbox/trace.h"

#include <gtest/gtest.h>

namespace bulwark::sandbox {
namespace {

constexpr char kTrace[] = R"(100 1000.000001 execve("/bin/sh", ["sh", "/.bulwark/in/driver.sh"], ["HOME=/home/user"]) = 0
100 1000.100000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x7f) = 101
101 1000.200000 execve("/bin/sh", ["sh", "-c", "node steal.js"], ["npm_lifecycle_event=postinstall", "HOME=/home/user"]) = 0
101 1000.300000 clone3({flags=CLONE_VM, exit_signal=SIGCHLD} => {parent_tid=[102]}, 88) = 102
102 1000.400000 openat(AT_FDCWD</home/user/project/node_modules/x>, ".npmrc\"q", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
102 1000.500000 openat(AT_FDCWD</home/user/project>, "/home/user/.npmrc", O_RDONLY|O_CLOEXEC <unfinished ...>
101 1000.550000 +++ exited with 0 +++
102 1000.600000 <... openat resumed>) = 21</home/user/.npmrc>
102 1000.700000 connect(22<socket:[5]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.2")}, 16) = 0
102 1000.800000 renameat2(AT_FDCWD</tmp>, "a", AT_FDCWD</home/user>, ".bashrc", RENAME_NOREPLACE) = 0
102 1000.900000 clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=600, tv_nsec=0}, NULL) = 0
102 1001.000000 ptrace(PTRACE_ATTACH, 7) = -1 EPERM (Operation not permitted)
)";

TEST(Trace, ParsesLinesAndJoinsUnfinished) {
  auto calls = ParseTrace(kTrace);
  ASSERT_EQ(calls.size(), 10u);
  EXPECT_EQ(calls[4].name, "openat");
  EXPECT_EQ(calls[4].ret, -1);
  EXPECT_EQ(calls[4].error, "ENOENT");
  EXPECT_EQ(calls[5].ret, 21);
  EXPECT_EQ(calls[5].ret_path, "/home/user/.npmrc");
  EXPECT_DOUBLE_EQ(calls[5].t, 1000.5);
}

TEST(Trace, EventsCarryPhaseAndResolvedPaths) {
  auto events = BuildEvents(ParseTrace(kTrace));
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[0].kind, "exec");
  EXPECT_EQ(events[0].phase, "npm");
  EXPECT_EQ(events[1].phase, "postinstall");
  EXPECT_EQ(events[1].argv, (std::vector<std::string>{"sh", "-c", "node steal.js"}));
  // The thread/child 102 inherits postinstall; a relative path joins the dirfd's path.
  EXPECT_EQ(events[2].kind, "read");
  EXPECT_EQ(events[2].phase, "postinstall");
  EXPECT_EQ(events[2].path, "/home/user/project/node_modules/x/.npmrc\"q");
  EXPECT_FALSE(events[2].ok);
  EXPECT_EQ(events[3].path, "/home/user/.npmrc");
  EXPECT_EQ(events[4].kind, "connect");
  EXPECT_EQ(events[4].address, "127.0.0.2");
  EXPECT_EQ(events[4].port, 80);
  EXPECT_EQ(events[5].kind, "rename");
  EXPECT_EQ(events[5].path, "/tmp/a");
  EXPECT_EQ(events[5].path2, "/home/user/.bashrc");
  EXPECT_EQ(events[6].kind, "sleep");
  EXPECT_EQ(events[6].number, 600);
  EXPECT_EQ(events[7].kind, "ptrace");
  EXPECT_EQ(events[7].number, 7);
  EXPECT_EQ(events[7].error, "EPERM");
}

TEST(Trace, UnquoteEscapes) {
  EXPECT_EQ(*Unquote(R"("a\nb\x41\101\"")"), "a\nbAA\"");
  EXPECT_EQ(*Unquote(R"("long"...)"), "long");
  EXPECT_FALSE(Unquote("noquote").has_value());
  EXPECT_FALSE(Unquote("\"").has_value());
  auto args = SplitArgs(R"(AT_FDCWD</x>, "a,b", [1, 2], {x=1, y=2})");
  ASSERT_EQ(args.size(), 4u);
}

TEST(Trace, GarbageIsSkipped) {
  EXPECT_TRUE(ParseTrace("x\n\n12 notatime foo() = 0\n12 1.0 foo(\n12 1.0 <... bar resumed>) = 0\n").empty());
}

}  // namespace
}  // namespace bulwark::sandbox
