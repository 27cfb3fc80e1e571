// Listener/Client under every start method: a child connects with the right key and talks, with
// a wrong key and both sides raise AuthenticationError; the default Unix-domain address is
// private; the handshake refuses oversized messages without reading them.
#include "core/listener.h"

#include <filesystem>
#include <string>

#include "platform/listener.h"
#include "platform/pipe.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

class ListenerConformance : public testing::StartMethodTest {};
MULTIPROC_FOR_EVERY_START_METHOD(ListenerConformance);

const std::string kKey = "a key only these two processes know";

void ConnectAndGreet(std::string address, std::string authkey) {
  Connection server = Client(address, authkey);
  server.send(std::string("hello from the child"));
  server.send(server.recv<int>() * 2);
}

void CheckConversation(Listener& listener, Process& child) {
  child.start();
  Connection client = listener.accept();
  EXPECT_EQ(client.recv<std::string>(), "hello from the child");
  client.send(21);
  EXPECT_EQ(client.recv<int>(), 42);
  child.join(absl::Seconds(20));
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(ListenerConformance, AChildWithTheRightKeyTalksOverTheDefaultFamily) {
  Listener listener("", kKey);
  Process child = MakeProcess(ConnectAndGreet, listener.address(), kKey);
  CheckConversation(listener, child);
}

TEST_P(ListenerConformance, AChildWithTheRightKeyTalksOverTcp) {
  if (!platform::AddressFamilySupported(AddressFamily::kTcp)) {
    GTEST_SKIP() << "TCP Listener/Client are POSIX-only for now";
  }
  Listener listener("127.0.0.1:0", kKey);
  EXPECT_EQ(listener.family(), AddressFamily::kTcp);
  EXPECT_NE(listener.address(), "127.0.0.1:0") << "the chosen port is reported";
  Process child = MakeProcess(ConnectAndGreet, listener.address(), kKey);
  CheckConversation(listener, child);
}

void ConnectWithKeyAndReport(std::string address, std::string authkey, Connection report) {
  try {
    Connection server = Client(address, authkey);
    report.send(std::string("connected"));
  } catch (const AuthenticationError&) {
    report.send(std::string("AuthenticationError"));
  }
}

TEST_P(ListenerConformance, AWrongKeyRaisesAuthenticationErrorOnBothSides) {
  Listener listener("", kKey);
  auto [report_reader, report_writer] = Pipe(false);
  Process child = MakeProcess(ConnectWithKeyAndReport, listener.address(),
                              std::string("a wrong key"), report_writer);
  child.start();
  report_writer.close();
  EXPECT_THROW(listener.accept(), AuthenticationError);
  EXPECT_EQ(report_reader.recv<std::string>(), "AuthenticationError");
  child.join(absl::Seconds(20));
  EXPECT_EQ(child.exitcode(), 0);

  // The Listener keeps serving after refusing one client.
  Process good = MakeProcess(ConnectAndGreet, listener.address(), kKey);
  CheckConversation(listener, good);
}

TEST(Listener, TheDefaultUnixAddressIsAPrivateSocketRemovedOnClose) {
  if (platform::DefaultAddressFamily() != AddressFamily::kUnix) {
    GTEST_SKIP() << "the default family here is not a Unix-domain socket";
  }
  namespace fs = std::filesystem;
  Listener listener;
  fs::path socket_path(listener.address());
  fs::perms all = fs::perms::all;
  EXPECT_EQ(fs::status(socket_path).permissions() & all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(socket_path.parent_path()).permissions() & all, fs::perms::owner_all);
  listener.close();
  EXPECT_FALSE(fs::exists(socket_path));
  EXPECT_FALSE(fs::exists(socket_path.parent_path()));
  EXPECT_THROW(listener.accept(), OSError);
}

TEST(Listener, AnOversizedHandshakeMessageIsRefusedUnread) {
  Listener listener("", kKey);
  absl::StatusOr<platform::OwnedHandle> raw =
      platform::ConnectTo(listener.family(), listener.address());
  ASSERT_TRUE(raw.ok()) << raw.status();
  // Announces a 1 GiB "answer" to the challenge it has not even read.
  const char header[] = {0x40, 0, 0, 0};
  ASSERT_TRUE(platform::WriteAll(raw->get(), {reinterpret_cast<const std::byte*>(header), 4}).ok());
  EXPECT_THROW(listener.accept(), AuthenticationError);
}

TEST(Listener, AClientWhereNobodyListensIsOSError) {
  Listener listener;
  std::string address = listener.address();
  listener.close();
  EXPECT_THROW(Client(address, kKey), OSError);
}

TEST(Listener, AFamilyThatContradictsTheAddressIsValueError) {
  EXPECT_THROW(Listener("127.0.0.1:0", kKey, AddressFamily::kUnix), ValueError);
}

}  // namespace
}  // namespace multiproc
