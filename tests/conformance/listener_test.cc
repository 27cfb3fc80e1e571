// Listener/Client under every start method, over the default family (Unix-domain socket or
// named pipe) and TCP: a child connects with the right key and talks, with a wrong key and both
// sides raise AuthenticationError; a TCP connection polls, and ends with EOFError when its peer
// exits; the default Unix-domain address is private; the handshake refuses oversized messages
// without reading them.
#include "core/listener.h"

#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#ifdef _WIN32
#include <windows.h>
// After windows.h, which it needs.
#include <aclapi.h>
#endif

#include "platform/listener.h"
#include "platform/pipe.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

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

void ConnectWithKeyAndReport(std::string address, std::string authkey, Connection report) {
  try {
    Connection server = Client(address, authkey);
    report.send(std::string("connected"));
  } catch (const AuthenticationError&) {
    report.send(std::string("AuthenticationError"));
  }
}

class ListenerConformance : public testing::StartMethodTest {
 protected:
  // A child with a wrong key is refused on both sides, and the listener keeps serving others.
  void CheckWrongKeyIsRefused(Listener& listener) {
    auto [report_reader, report_writer] = Pipe(false);
    Process child = MakeProcess(ConnectWithKeyAndReport, listener.address(),
                                std::string("a wrong key"), report_writer);
    child.start();
    report_writer.close();
    EXPECT_THROW(listener.accept(), AuthenticationError);
    EXPECT_EQ(report_reader.recv<std::string>(), "AuthenticationError");
    child.join(absl::Seconds(20));
    EXPECT_EQ(child.exitcode(), 0);

    Process good = MakeProcess(ConnectAndGreet, listener.address(), kKey);
    CheckConversation(listener, good);
  }
};
MULTIPROC_FOR_EVERY_START_METHOD(ListenerConformance);

TEST_P(ListenerConformance, AChildWithTheRightKeyTalksOverTheDefaultFamily) {
  Listener listener("", kKey);
  Process child = MakeProcess(ConnectAndGreet, listener.address(), kKey);
  CheckConversation(listener, child);
}

TEST_P(ListenerConformance, AChildWithTheRightKeyTalksOverTcp) {
  Listener listener("127.0.0.1:0", kKey);
  EXPECT_EQ(listener.family(), AddressFamily::kTcp);
  EXPECT_NE(listener.address(), "127.0.0.1:0") << "the chosen port is reported";
  Process child = MakeProcess(ConnectAndGreet, listener.address(), kKey);
  CheckConversation(listener, child);
}

TEST_P(ListenerConformance, AWrongKeyRaisesAuthenticationErrorOnBothSides) {
  Listener listener("", kKey);
  CheckWrongKeyIsRefused(listener);
}

TEST_P(ListenerConformance, AWrongKeyOverTcpRaisesAuthenticationErrorOnBothSides) {
  Listener listener("127.0.0.1:0", kKey);
  CheckWrongKeyIsRefused(listener);
}

// Says nothing until the parent speaks, answers, and exits (closing its end).
void AnswerOnce(std::string address, std::string authkey) {
  Connection parent = Client(address, authkey);
  parent.send(parent.recv<std::string>() + ", answered");
}

TEST_P(ListenerConformance, ATcpConnectionPollsAndEndsWithEOFErrorWhenItsPeerExits) {
  Listener listener("127.0.0.1:0", kKey);
  Process child = MakeProcess(AnswerOnce, listener.address(), kKey);
  child.start();
  Connection connection = listener.accept();
  EXPECT_FALSE(connection.poll(absl::Milliseconds(100))) << "the child has sent nothing yet";
  connection.send(std::string("asked"));
  EXPECT_TRUE(connection.poll(absl::Seconds(20)));
  EXPECT_EQ(connection.recv<std::string>(), "asked, answered");
  child.join(absl::Seconds(20));
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_TRUE(connection.poll(absl::Seconds(5))) << "the end of the stream is readable";
  EXPECT_THROW(connection.recv<std::string>(), EOFError);
}

void GreetThrough(Connection connection) {
  connection.send(std::string("hello through a connection I was given"));
}

TEST_P(ListenerConformance, AnAcceptedTcpConnectionTravelsToAChildExceptOnWindows) {
  Listener listener("127.0.0.1:0", kKey);
  std::optional<Connection> client;
  std::exception_ptr connect_error;
  std::thread connecting([&] {
    try {
      client = Client(listener.address(), kKey);
    } catch (...) {
      connect_error = std::current_exception();
    }
  });
  Connection accepted = listener.accept();
  connecting.join();
  if (connect_error) std::rethrow_exception(connect_error);
  Process child = MakeProcess(GreetThrough, accepted);
#ifdef _WIN32
  // A duplicated socket shares Winsock's state with its original: closing one breaks the other.
  EXPECT_THROW(child.start(), OSError);
#else
  child.start();
  accepted.close();
  EXPECT_EQ(client->recv<std::string>(), "hello through a connection I was given");
  child.join(absl::Seconds(20));
  EXPECT_EQ(child.exitcode(), 0);
#endif
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

#ifdef _WIN32
// The SID of this process's user.
std::vector<BYTE> CurrentUserSid() {
  HANDLE token = nullptr;
  EXPECT_TRUE(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token));
  DWORD size = 0;
  GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::vector<BYTE> user(size);
  EXPECT_TRUE(GetTokenInformation(token, TokenUser, user.data(), size, &size));
  CloseHandle(token);
  PSID sid = reinterpret_cast<TOKEN_USER*>(user.data())->User.Sid;
  const BYTE* bytes = static_cast<const BYTE*>(sid);
  return std::vector<BYTE>(bytes, bytes + GetLengthSid(sid));
}
#endif

// The Windows counterpart of the 0600 socket in a 0700 directory: a listener's named pipe has a
// DACL that lets in this user and LocalSystem, nobody else (no Everyone, no anonymous logon).
TEST(Listener, ANamedPipeOpensOnlyToThisUserAndLocalSystem) {
#ifndef _WIN32
  GTEST_SKIP() << "named pipes are Windows'; on POSIX TheDefaultUnixAddressIsAPrivateSocket"
                  "RemovedOnClose checks the 0600 socket and 0700 directory";
#else
  Listener listener;
  std::wstring name(listener.address().begin(), listener.address().end());
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  // A pipe is named as a file (SE_FILE_OBJECT); SE_KERNEL_OBJECT names live elsewhere.
  ASSERT_EQ(GetNamedSecurityInfoW(name.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                                  nullptr, &dacl, nullptr, &descriptor),
            static_cast<DWORD>(ERROR_SUCCESS));
  ASSERT_NE(dacl, nullptr) << "a null DACL lets everyone in";
  std::vector<BYTE> user = CurrentUserSid();
  bool user_allowed = false, system_allowed = false;
  for (DWORD i = 0; i < dacl->AceCount; ++i) {
    void* ace = nullptr;
    ASSERT_TRUE(GetAce(dacl, i, &ace));
    ASSERT_EQ(static_cast<ACE_HEADER*>(ace)->AceType, ACCESS_ALLOWED_ACE_TYPE);
    PSID sid = &static_cast<ACCESS_ALLOWED_ACE*>(ace)->SidStart;
    bool is_user = EqualSid(sid, user.data());
    bool is_system = IsWellKnownSid(sid, WinLocalSystemSid);
    EXPECT_TRUE(is_user || is_system) << "entry " << i << " lets in someone else";
    user_allowed |= is_user;
    system_allowed |= is_system;
  }
  EXPECT_TRUE(user_allowed && system_allowed);
  LocalFree(descriptor);
#endif
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
  for (std::string requested : {"", "127.0.0.1:0"}) {
    Listener listener(requested);
    std::string address = listener.address();
    listener.close();
    EXPECT_THROW(Client(address, kKey), OSError) << address;
  }
}

TEST(Listener, ATcpPortSomeoneListensOnIsOSError) {
  Listener first("127.0.0.1:0", kKey);
  EXPECT_THROW(Listener(first.address(), kKey), OSError) << first.address();
}

TEST(Listener, AFamilyThatContradictsTheAddressIsValueError) {
  EXPECT_THROW(Listener("127.0.0.1:0", kKey, AddressFamily::kUnix), ValueError);
}

}  // namespace
}  // namespace multiproc
