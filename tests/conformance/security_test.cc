// Security properties that hold under every start method: the authkey reaches a child inside its
// bootstrap payload, never on its command line (where any local user could read it).
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

class SecurityConformance : public testing::StartMethodTest {};
MULTIPROC_FOR_EVERY_START_METHOD(SecurityConformance);

constexpr int kKeyDidNotArrive = 3;
constexpr int kKeyOnCommandLine = 4;

// Runs in the child: its authkey must be the parent's, and appear nowhere in its argv, raw or
// hex-encoded.
void CheckAuthkeyStaysOffTheCommandLine(std::string expected_key_hex) {
  std::string key = current_process().authkey;
  if (absl::BytesToHexString(key) != expected_key_hex) exit(kKeyDidNotArrive);
  absl::StatusOr<std::vector<std::string>> arguments = platform::CurrentCommandLine();
  if (!arguments.ok()) throw OSError(std::string(arguments.status().message()));
  std::string command_line = absl::StrJoin(*arguments, " ");
  if (command_line.find(key) != std::string::npos ||
      command_line.find(expected_key_hex) != std::string::npos) {
    exit(kKeyOnCommandLine);
  }
}

TEST_P(SecurityConformance, TheAuthkeyArrivesButNeverOnTheCommandLine) {
  Process child = MakeProcess(CheckAuthkeyStaysOffTheCommandLine,
                              absl::BytesToHexString(current_process().authkey));
  ASSERT_EQ(current_process().authkey.size(), 32u);
  child.start();
  child.join(absl::Seconds(60));
  EXPECT_EQ(child.exitcode(), 0) << "3: the key did not arrive; 4: it was on the command line";
}

TEST_P(SecurityConformance, AnAuthkeySetOnTheProcessTravelsTheSameWay) {
  std::string key = "a key chosen by the user, long enough to search for";
  Process child = MakeProcess(CheckAuthkeyStaysOffTheCommandLine, absl::BytesToHexString(key));
  child.set_authkey(key);
  child.start();
  child.join(absl::Seconds(60));
  EXPECT_EQ(child.exitcode(), 0) << "3: the key did not arrive; 4: it was on the command line";
}

}  // namespace
}  // namespace multiproc
