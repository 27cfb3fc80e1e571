// Security properties that hold under every start method: the authkey reaches a child inside its
// bootstrap payload, never on its command line (where any local user could read it); a manager
// proxy carries its manager's key only to a child being started, as in CPython; decoding a proxy
// that names a silent server gives up.
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "core/manager_protocol.h"
#include "core/serialization.h"
#include "platform/listener.h"
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

// Receives a proxy over `parent` and appends to its list: the key it authenticates with is the
// one this child inherited (its current_process().authkey), since the proxy carried none.
void AppendThroughAReceivedProxy(Connection parent) {
  ListProxy<std::string> names = parent.recv<ListProxy<std::string>>();
  names.append("from the child");
}

TEST_P(SecurityConformance, AProxySentOverAConnectionCarriesNoAuthkeyYetWorksInTheProcessTree) {
  SyncManager manager("", std::nullopt, GetParam());
  manager.start();
  EXPECT_EQ(manager.authkey(), current_process().authkey) << "a manager's key by default";
  ListProxy<std::string> names = manager.list<std::string>();
  auto [left, right] = Pipe();
  left.send(names);
  std::string sent = right.recv_bytes();
  EXPECT_EQ(sent.find(manager.authkey()), std::string::npos) << "the key travelled in clear";

  auto [to_child, child_end] = Pipe();
  Process child = MakeProcess(AppendThroughAReceivedProxy, child_end);
  child.start();
  to_child.send(names);
  child.join(absl::Seconds(60));
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(names.snapshot(), std::vector<std::string>{"from the child"});
  manager.shutdown();
}

// A proxy of a manager with a key of its own carries the key to a child started with it; sent
// later over a Connection it carries none, so only a process that already uses that manager
// (it holds the key from an earlier proxy, or inherited it by fork) can use it, and any other is
// refused loudly.
void ReportHowAReceivedProxyFares(Connection parent) {
  try {
    ListProxy<std::string> sent = parent.recv<ListProxy<std::string>>();
    sent.append("over a connection");
    parent.send(std::string("used"));
  } catch (const AuthenticationError&) {
    parent.send(std::string("AuthenticationError"));
  }
}

void UseAProxyGivenAtStart(ListProxy<std::string> given, Connection parent) {
  given.append("as an argument");
  ReportHowAReceivedProxyFares(std::move(parent));
}

TEST_P(SecurityConformance, AManagersOwnKeyTravelsOnlyToAChildBeingStarted) {
  SyncManager manager("", std::string("a key of this manager's own"), GetParam());
  manager.start();
  ListProxy<std::string> names = manager.list<std::string>();

  auto [to_knowing, knowing_end] = Pipe();
  Process knowing = MakeProcess(UseAProxyGivenAtStart, names, knowing_end);
  knowing.start();
  to_knowing.send(names);
  EXPECT_EQ(to_knowing.recv<std::string>(), "used");

  auto [to_stranger, stranger_end] = Pipe();
  Process stranger = MakeProcess(ReportHowAReceivedProxyFares, stranger_end);
  stranger.start();
  to_stranger.send(names);
  // A fork child is a copy of this process, which uses the manager: it knows the key already.
  const bool stranger_knows_the_key = GetParam() == "fork";
  EXPECT_EQ(to_stranger.recv<std::string>(),
            stranger_knows_the_key ? "used" : "AuthenticationError");

  for (Process* child : {&knowing, &stranger}) {
    child->join(absl::Seconds(60));
    EXPECT_EQ(child->exitcode(), 0);
  }
  std::vector<std::string> expected{"as an argument", "over a connection"};
  if (stranger_knows_the_key) expected.push_back("over a connection");
  EXPECT_EQ(names.snapshot(), expected);
  manager.shutdown();
}

// A peer that accepts and never speaks: decoding a proxy that names it fails after the handshake
// deadline instead of hanging the receiver.
TEST(ProxyDecoding, AProxyNamingASilentServerFailsAfterTheHandshakeDeadline) {
  absl::StatusOr<platform::StreamListener> silent =
      platform::StreamListener::Listen(platform::DefaultAddressFamily(), "", 1);
  ASSERT_TRUE(silent.ok()) << silent.status();
  HandleTable handles;
  std::string forged = internal::Encode(handles, silent->address(), std::string("some key"),
                                        uint64_t{1}, std::string("list"));
  absl::Time began = absl::Now();
  ListProxy<int> decoded;
  EXPECT_THROW(internal::Decode(forged, handles, decoded), AuthenticationError);
  EXPECT_LT(absl::Now() - began, internal::manager::kHandshakeTimeout + absl::Seconds(20));
}

}  // namespace
}  // namespace multiproc
