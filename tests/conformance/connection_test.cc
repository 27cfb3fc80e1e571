// Pipe/Connection with Python's semantics, in one process and across processes under every start
// method: typed and raw messages, framing (empty, 64 MiB), poll, EOF when the peer closes or
// dies, bad input, Connections travelling to children and to running processes, and wait().
#include "core/connection.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/handle_transport.h"
#include "core/listener.h"
#include "platform/pipe.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

class ConnectionConformance : public testing::StartMethodTest {};
MULTIPROC_FOR_EVERY_START_METHOD(ConnectionConformance);

// Writes raw bytes on a Connection's pipe end, bypassing the framing (for malformed input).
void WriteRaw(const Connection& connection, const std::string& bytes) {
  ASSERT_TRUE(platform::WriteAll(connection.fileno(),
                                 {reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()})
                  .ok());
}

std::string BigEndianHeader(uint32_t length) {
  std::string header(4, '\0');
  for (int i = 0; i < 4; ++i) header[i] = static_cast<char>(length >> (8 * (3 - i)));
  return header;
}

TEST(Connection, MessagesKeepTheirBoundariesAndOrder) {
  auto [a, b] = Pipe();
  a.send_bytes("first");
  a.send_bytes("");
  a.send_bytes(std::string(50000, 'x'));  // all of it fits a 64 KiB pipe buffer unread
  a.send_bytes("last");
  EXPECT_EQ(b.recv_bytes(), "first");
  EXPECT_EQ(b.recv_bytes(), "") << "an empty message is a real message";
  EXPECT_EQ(b.recv_bytes(), std::string(50000, 'x'));
  EXPECT_EQ(b.recv_bytes(), "last");
  EXPECT_FALSE(b.poll());
}

TEST(Connection, SendBytesTakesAnOffsetAndASize) {
  auto [a, b] = Pipe();
  a.send_bytes("0123456789", 2, 3);
  a.send_bytes("0123456789", 7);
  a.send_bytes("0123456789", 10);
  EXPECT_EQ(b.recv_bytes(), "234");
  EXPECT_EQ(b.recv_bytes(), "789");
  EXPECT_EQ(b.recv_bytes(), "");
  EXPECT_THROW(a.send_bytes("0123", 5), ValueError);
  EXPECT_THROW(a.send_bytes("0123", 1, 4), ValueError);
  EXPECT_FALSE(b.poll()) << "a rejected send sends nothing";
}

TEST(Connection, RecvBytesLongerThanMaxlengthRaisesAndCloses) {
  auto [a, b] = Pipe();
  a.send_bytes(std::string(300, 'y'));
  EXPECT_THROW(b.recv_bytes(256), OSError);
  EXPECT_TRUE(b.closed());
  EXPECT_THROW(b.recv_bytes(), OSError) << "handle is closed";
}

TEST(Connection, RecvBytesIntoCopiesAtAnOffsetOrRaisesBufferTooShortWithTheMessage) {
  auto [a, b] = Pipe();
  a.send_bytes("hello");
  a.send_bytes("a message too long");
  a.send_bytes("after");
  std::vector<std::byte> buffer(8, std::byte{'.'});
  EXPECT_EQ(b.recv_bytes_into(buffer, 2), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.data()), 8), "..hello.");
  try {
    b.recv_bytes_into(buffer, 2);
    ADD_FAILURE() << "expected BufferTooShort";
  } catch (const BufferTooShort& error) {
    EXPECT_EQ(error.message(), "a message too long");
  }
  EXPECT_THROW(b.recv_bytes_into(buffer, 9), ValueError);
  EXPECT_EQ(b.recv_bytes(), "after") << "the connection stays usable";
}

TEST(Connection, PollWaitsAboutTheTimeout) {
  auto [a, b] = Pipe();
  EXPECT_FALSE(b.poll());
  absl::Time began = absl::Now();
  EXPECT_FALSE(b.poll(absl::Milliseconds(100)));
  absl::Duration waited = absl::Now() - began;
  EXPECT_GE(waited, absl::Milliseconds(95));
  EXPECT_LT(waited, absl::Seconds(2));
  a.send(42);
  EXPECT_TRUE(b.poll(absl::Seconds(5)));
  EXPECT_EQ(b.recv<int>(), 42);
}

TEST(Connection, SimplexEndsOnlyReadOrWrite) {
  auto [reader, writer] = Pipe(false);
  EXPECT_TRUE(reader.readable());
  EXPECT_FALSE(reader.writable());
  EXPECT_FALSE(writer.readable());
  EXPECT_TRUE(writer.writable());
  EXPECT_THROW(reader.send(1), OSError);
  EXPECT_THROW(writer.recv<int>(), OSError);
  writer.send(std::string("one way"));
  EXPECT_EQ(reader.recv<std::string>(), "one way");
}

TEST(Connection, ClosedConnectionRaisesOSErrorAndTheOtherEndSeesEOF) {
  auto [a, b] = Pipe();
  Connection copy = a;
  a.send(7);
  copy.close();
  EXPECT_TRUE(a.closed()) << "copies share the pipe end";
  EXPECT_THROW(a.send(1), OSError);
  EXPECT_THROW(a.fileno(), OSError);
  a.close();
  EXPECT_EQ(b.recv<int>(), 7);
  EXPECT_TRUE(b.poll()) << "the end of the stream is readable";
  EXPECT_THROW(b.recv<int>(), EOFError);
  EXPECT_THROW(b.recv<int>(), EOFError) << "and stays so";
  EXPECT_THROW(b.send(1), OSError) << "the peer is gone";
}

TEST(Connection, WrongTypeOrGarbageIsASerializationErrorAndTheConnectionStaysUsable) {
  auto [a, b] = Pipe();
  a.send(std::string("not a vector"));
  a.send_bytes("\xff\xff\xff\xff garbage");
  a.send(std::vector<int>{1, 2, 3});
  using IntMap = std::map<int, int>;
  EXPECT_THROW(b.recv<IntMap>(), SerializationError);
  EXPECT_THROW(b.recv<std::vector<std::string>>(), SerializationError);
  EXPECT_EQ(b.recv<std::vector<int>>(), (std::vector<int>{1, 2, 3}));
}

TEST(Connection, SendingAnObjectWithHandlesIsRefused) {
  auto [a, b] = Pipe();
  auto [c, d] = Pipe();
  EXPECT_THROW(a.send(c), SerializationError);
  EXPECT_THROW(a.send(Lock()), SerializationError);
  EXPECT_FALSE(b.poll()) << "nothing was sent";
}

TEST(Connection, TruncatedFrameIsEOFError) {
  auto [a, b] = Pipe();
  WriteRaw(a, BigEndianHeader(100) + "only ten..");
  a.close();
  EXPECT_THROW(b.recv_bytes(), EOFError);
  auto [c, d] = Pipe();
  WriteRaw(c, "\x00\x00");
  c.close();
  EXPECT_THROW(d.recv_bytes(), EOFError) << "a header cut short";
}

TEST(Connection, OversizedLengthPrefixIsRefusedWithoutReadingOrAllocating) {
  auto [a, b] = Pipe();
  b.set_max_message_size(1024);
  WriteRaw(a, BigEndianHeader(2048) + "payload that never fully comes");
  EXPECT_THROW(b.recv_bytes(), OSError);
  EXPECT_TRUE(b.closed());
  // The default limit (2 GiB): a 64-bit length of 2^60 announced in CPython's long form.
  auto [c, d] = Pipe();
  std::string long_form =
      BigEndianHeader(0xffffffff) + BigEndianHeader(1u << 28) + BigEndianHeader(0);  // 2^60 bytes
  WriteRaw(c, long_form);
  EXPECT_THROW(d.recv_bytes(), OSError);
}

TEST(Connection, ALyingLengthBelowTheLimitOnlyCostsWhatArrives) {
  auto [a, b] = Pipe();
  // Announces 1.5 GiB, sends 3 bytes and closes: EOFError, not a 1.5 GiB allocation.
  WriteRaw(a, BigEndianHeader(0x60000000) + "abc");
  a.close();
  EXPECT_THROW(b.recv_bytes(), EOFError);
}

TEST(Connection, WaitReturnsTheReadySubsetInInputOrder) {
  auto [a1, b1] = Pipe();
  auto [a2, b2] = Pipe();
  auto [a3, b3] = Pipe();
  b3.send(3);
  b1.send(1);
  std::vector<Waitable> ready = wait({a1, a2, a3}, absl::Seconds(5));
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_TRUE(std::get<Connection>(ready[0]) == a1);
  EXPECT_TRUE(std::get<Connection>(ready[1]) == a3);
  a1.recv<int>();
  a3.recv<int>();
  absl::Time began = absl::Now();
  EXPECT_TRUE(wait({a1, a2, a3}, absl::Milliseconds(100)).empty());
  EXPECT_GE(absl::Now() - began, absl::Milliseconds(95));
}

TEST(Connection, WaitSeesMessagesAlreadyReadAhead) {
  auto [a, b] = Pipe();
  b.send(1);
  b.send(2);
  EXPECT_EQ(a.recv<int>(), 1);  // both arrived in one read; the second sits in the buffer
  std::vector<Waitable> ready = wait({a}, absl::ZeroDuration());
  EXPECT_EQ(ready.size(), 1u);
  EXPECT_TRUE(a.poll());
  EXPECT_EQ(a.recv<int>(), 2);
}

TEST(Connection, WaitHandlesManyConnections) {
  std::vector<std::pair<Connection, Connection>> pipes;
  std::vector<Waitable> watched;
  for (int i = 0; i < 100; ++i) {
    pipes.push_back(Pipe());
    watched.push_back(pipes.back().first);
  }
  pipes[7].second.send(7);
  pipes[99].second.send(99);
  std::vector<Waitable> ready = wait(watched, absl::Seconds(5));
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_EQ(std::get<Connection>(ready[0]).recv<int>(), 7);
  EXPECT_EQ(std::get<Connection>(ready[1]).recv<int>(), 99);
}

// CPython's multiprocessing.connection reads and writes the same frames: a Python Listener
// (no authkey: Python 3.11 here predates the SHA-256 handshake) echoes our messages reversed.
TEST(Connection, CPythonUnderstandsTheFraming) {
  if (platform::DefaultAddressFamily() != AddressFamily::kUnix ||
      std::system("python3 -c 'import multiprocessing.connection' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs python3 and Unix-domain sockets";
  }
  std::string address = (std::filesystem::temp_directory_path() /
                         absl::StrCat("multiproc-cpython-", absl::ToUnixNanos(absl::Now())))
                            .string();
  std::string script = absl::StrCat(
      "python3 -c 'import sys\n"
      "from multiprocessing.connection import Listener\n"
      "with Listener(sys.argv[1], \"AF_UNIX\") as l, l.accept() as c:\n"
      "    m = c.recv_bytes()\n"
      "    while m != b\"quit\":\n"
      "        c.send_bytes(m[::-1]); m = c.recv_bytes()\n' ",
      address, " >/dev/null 2>&1 &");
  ASSERT_EQ(std::system(script.c_str()), 0);
  std::optional<Connection> python;
  for (absl::Time deadline = absl::Now() + absl::Seconds(20); !python && absl::Now() < deadline;
       absl::SleepFor(absl::Milliseconds(20))) {
    try {
      python = Client(address);
    } catch (const OSError&) {
      // not listening yet
    }
  }
  ASSERT_TRUE(python.has_value()) << "the Python listener did not start";
  std::string big(3 << 20, 'b');
  big.front() = 'f';
  for (const std::string& message : {std::string("abc"), std::string(), big}) {
    python->send_bytes(message);
    ASSERT_TRUE(python->poll(absl::Seconds(20)));
    EXPECT_EQ(python->recv_bytes(), std::string(message.rbegin(), message.rend()));
  }
  python->send_bytes("quit");
  EXPECT_TRUE(python->poll(absl::Seconds(20)));
  EXPECT_THROW(python->recv_bytes(), EOFError) << "Python closed its end";
  std::filesystem::remove(address);
}

// ---- across processes ----

// Receives typed values and answers with something computed from each.
void AnswerTypedValues(Connection conn) {
  int number = conn.recv<int>();
  std::string text = conn.recv<std::string>();
  std::vector<double> values = conn.recv<std::vector<double>>();
  auto table = conn.recv<std::map<std::string, int>>();
  auto tuple = conn.recv<std::tuple<int, std::string>>();
  conn.send(number + 1);
  conn.send(text + "!");
  conn.send(std::accumulate(values.begin(), values.end(), 0.0));
  conn.send(table.at("b"));
  conn.send(std::get<1>(tuple) + std::to_string(std::get<0>(tuple)));
}

TEST_P(ConnectionConformance, TypedValuesCrossProcessesInOrder) {
  auto [parent_end, child_end] = Pipe();
  Process child = MakeProcess(AnswerTypedValues, child_end);
  child.start();
  child_end.close();
  parent_end.send(41);
  parent_end.send(std::string("hi"));
  parent_end.send(std::vector<double>{1.5, 2.5});
  parent_end.send(std::map<std::string, int>{{"a", 1}, {"b", 2}});
  parent_end.send(std::make_tuple(9, std::string("n=")));
  EXPECT_EQ(parent_end.recv<int>(), 42);
  EXPECT_EQ(parent_end.recv<std::string>(), "hi!");
  EXPECT_EQ(parent_end.recv<double>(), 4.0);
  EXPECT_EQ(parent_end.recv<int>(), 2);
  EXPECT_EQ(parent_end.recv<std::string>(), "n=9");
  EXPECT_THROW(parent_end.recv<int>(), EOFError) << "the child exited";
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

// Echoes every message until "quit". (Not until EOF: under fork the child inherits the parent's
// end too, as in Python, so the parent closing it would not end the stream.)
void Echo(Connection conn) {
  for (std::string message = conn.recv_bytes(); message != "quit"; message = conn.recv_bytes()) {
    conn.send_bytes(message);
  }
}

TEST_P(ConnectionConformance, A64MiBMessageAndAnEmptyOneMakeTheRoundTrip) {
  auto [parent_end, child_end] = Pipe();
  Process child = MakeProcess(Echo, child_end);
  child.start();
  child_end.close();
  std::string big(size_t{64} << 20, '\0');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);
  parent_end.send_bytes(big);
  parent_end.send_bytes("");
  parent_end.send_bytes("tail");
  EXPECT_TRUE(parent_end.recv_bytes() == big);
  EXPECT_EQ(parent_end.recv_bytes(), "");
  EXPECT_EQ(parent_end.recv_bytes(), "tail");
  parent_end.send_bytes("quit");
  child.join(absl::Seconds(30));
  EXPECT_EQ(child.exitcode(), 0);
}

void SendAfterSignal(Connection conn) {
  conn.recv<int>();
  conn.send(std::string("late"));
  if (conn.recv<int>() != 2) multiproc::exit(3);
}

TEST_P(ConnectionConformance, PollTimesOutThenSeesAMessageFromTheChild) {
  auto [parent_end, child_end] = Pipe();
  Process child = MakeProcess(SendAfterSignal, child_end);
  child.start();
  child_end.close();
  absl::Time began = absl::Now();
  EXPECT_FALSE(parent_end.poll(absl::Milliseconds(100)));
  EXPECT_GE(absl::Now() - began, absl::Milliseconds(95));
  parent_end.send(1);
  EXPECT_TRUE(parent_end.poll(absl::Seconds(10)));
  EXPECT_EQ(parent_end.recv<std::string>(), "late");
  parent_end.send(2);
  child.join(absl::Seconds(10));
  EXPECT_EQ(child.exitcode(), 0);
}

void BlockInRecv(Connection conn) {
  conn.send(std::string("ready"));
  conn.recv<int>();
}

TEST_P(ConnectionConformance, APeerKilledIsEOFError) {
  auto [parent_end, child_end] = Pipe();
  Process child = MakeProcess(BlockInRecv, child_end);
  child.start();
  child_end.close();
  EXPECT_EQ(parent_end.recv<std::string>(), "ready");
  child.kill();
  EXPECT_TRUE(parent_end.poll(absl::Seconds(10)));
  EXPECT_THROW(parent_end.recv<int>(), EOFError);
  child.join();
}

// Receives a Connection (and a label) from the parent while running, then uses it.
void ReceiveConnectionAndReply(platform::OwnedHandle channel) {
  Connection conn;
  std::string label;
  internal::ReceiveObjects(channel.get(), conn, label);
  conn.send(label + " reached a running child");
  conn.send_bytes(conn.recv_bytes());  // and it still receives
}

TEST_P(ConnectionConformance, AConnectionReachesARunningProcess) {
  absl::StatusOr<platform::PipePair> channel = platform::CreateDuplexPipe();
  ASSERT_TRUE(channel.ok());
  Process child = MakeProcess(ReceiveConnectionAndReply, std::move(channel->second));
  child.start();
  auto [mine, theirs] = Pipe();
  theirs.send_bytes("read ahead");  // already waiting in `theirs`'s direction
  internal::SendObjects(channel->first.get(), *child.pid(), mine, std::string("a pipe end"));
  mine.close();
  EXPECT_EQ(theirs.recv<std::string>(), "a pipe end reached a running child");
  EXPECT_EQ(theirs.recv_bytes(), "read ahead");
  child.join(absl::Seconds(10));
  EXPECT_EQ(child.exitcode(), 0);
}

void ForwardToSecond(Connection from, Connection to) {
  to.send_bytes(from.recv_bytes() + " via child");
}

TEST_P(ConnectionConformance, ConnectionsTravelAsProcessArgumentsWithTheirReadAhead) {
  auto [in_parent, in_child] = Pipe();
  auto [reader, writer] = Pipe(false);
  in_parent.send_bytes("first");
  in_parent.send_bytes("second");
  // `in_child` read ahead both messages here; the second must travel with it.
  EXPECT_EQ(in_child.recv_bytes(), "first");
  Process child = MakeProcess(ForwardToSecond, in_child, writer);
  child.start();
  in_child.close();
  writer.close();
  EXPECT_EQ(reader.recv_bytes(), "second via child");
  child.join(absl::Seconds(10));
  EXPECT_EQ(child.exitcode(), 0);
}

void SleepThenSend(Connection conn, int milliseconds) {
  absl::SleepFor(absl::Milliseconds(milliseconds));
  conn.send(milliseconds);
}

// The names of the ready objects, looked up in `watched`/`names`: failures read as lists.
std::vector<std::string> Names(const std::vector<Waitable>& ready,
                               const std::vector<Waitable>& watched,
                               const std::vector<std::string>& names) {
  std::vector<std::string> found;
  for (const Waitable& object : ready) {
    auto at = std::find(watched.begin(), watched.end(), object);
    found.push_back(at == watched.end() ? "?" : names[at - watched.begin()]);
  }
  return found;
}

TEST_P(ConnectionConformance, WaitOnConnectionsAndSentinels) {
  auto [fast_parent, fast_child] = Pipe();
  auto [slow_parent, slow_child] = Pipe();
  Process fast = MakeProcess(SleepThenSend, fast_child, 0);
  Process slow = MakeProcess(SleepThenSend, slow_child, 60000);
  fast.start();
  slow.start();
  fast_child.close();
  slow_child.close();
  std::vector<Waitable> watched = {slow.sentinel(), slow_parent, fast_parent, fast.sentinel()};
  std::vector<std::string> names = {"slow sentinel", "slow pipe", "fast pipe", "fast sentinel"};
  std::vector<std::string> ready = Names(wait(watched, absl::Seconds(20)), watched, names);
  ASSERT_FALSE(ready.empty());
  EXPECT_EQ(ready[0], "fast pipe") << "input order; nothing slow is ready";
  // Waits on the sentinel itself, not join(): under forkserver join() consumes the exit report
  // that makes the sentinel ready.
  EXPECT_EQ(wait({fast.sentinel()}, absl::Seconds(10)).size(), 1u);
  EXPECT_EQ(Names(wait(watched, absl::Seconds(5)), watched, names),
            (std::vector<std::string>{"fast pipe", "fast sentinel"}));
  absl::Time began = absl::Now();
  EXPECT_TRUE(wait({slow.sentinel(), slow_parent}, absl::Milliseconds(100)).empty());
  EXPECT_GE(absl::Now() - began, absl::Milliseconds(95));
  slow.kill();
  EXPECT_EQ(wait({slow.sentinel()}, absl::Seconds(10)).size(), 1u);
  EXPECT_EQ(Names(wait(watched, absl::Seconds(5)), watched, names),
            (std::vector<std::string>{"slow sentinel", "slow pipe", "fast pipe", "fast sentinel"}))
      << "a killed child: its sentinel and the end of its pipe";
  EXPECT_EQ(fast_parent.recv<int>(), 0);
  fast.join();
  slow.join();
}

}  // namespace
}  // namespace multiproc
