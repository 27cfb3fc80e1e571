// Managers under every start method: seed 003 (three processes append to one managed list under
// a managed Lock), the proxies' semantics, proxies travelling to children and nested in managed
// containers, reference counts releasing objects, registered types, bad requests, and a dead
// server making every call fail promptly.
#include "core/manager.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "core/authentication.h"
#include "core/listener.h"
#include "core/manager_protocol.h"
#include "platform/listener.h"
#include "platform/pipe.h"
#include "platform/process.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

class ManagerConformance : public testing::StartMethodTest {
 protected:
  // A manager at `address`: "" for a private address of the default family, "127.0.0.1:0" for TCP.
  SyncManager StartManager(const std::string& address = "") {
    SyncManager manager(address, std::nullopt, GetParam());
    manager.start();
    return manager;
  }
};

// An address of each family a manager serves on: the default (a Unix socket, or a named pipe on
// Windows) and TCP.
const std::string kAddressOfEachFamily[] = {"", "127.0.0.1:0"};
MULTIPROC_FOR_EVERY_START_METHOD(ManagerConformance);

// Seed 003's func: append i three times to the shared list, each time under the shared lock.
void AppendThreeTimes(ListProxy<int> nums, int i, LockProxy lock) {
  for (int x = 0; x < 3; ++x) {
    std::lock_guard<LockProxy> hold(lock);
    nums.append(i);
  }
}

TEST_P(ManagerConformance, Seed003ThreeProcessesAppendToOneManagedList) {
  SyncManager manager = StartManager();
  ListProxy<int> nums = manager.list<int>({});
  LockProxy lock = manager.Lock();
  std::vector<Process> children;
  for (int i = 0; i < 3; ++i) children.push_back(MakeProcess(AppendThreeTimes, nums, i, lock));
  for (Process& child : children) child.start();
  for (Process& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  std::vector<int> seen = nums.snapshot();
  ASSERT_EQ(seen.size(), 9u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(std::count(seen.begin(), seen.end(), i), 3) << i;
}

TEST_P(ManagerConformance, ListFollowsPythonSemantics) {
  SyncManager manager = StartManager();
  ListProxy<std::string> list = manager.list<std::string>({"a", "b"});
  list.append("c");
  list.extend({"d", "b"});
  list.insert(0, "z");
  list.insert(-100, "first");  // clamped, as Python
  EXPECT_EQ(list.snapshot(), (std::vector<std::string>{"first", "z", "a", "b", "c", "d", "b"}));
  EXPECT_EQ(list.size(), 7u);
  EXPECT_EQ(list.index("b"), 3u);
  EXPECT_EQ(list.count("b"), 2u);
  EXPECT_EQ(list.get(-1), "b");
  EXPECT_EQ(list[1], "z");
  list.set(1, "y");
  EXPECT_EQ(list.slice(1, 3), (std::vector<std::string>{"y", "a"}));
  EXPECT_EQ(list.slice(-2, 100), (std::vector<std::string>{"d", "b"}));
  EXPECT_EQ(list.pop(), "b");
  EXPECT_EQ(list.pop(0), "first");
  list.remove("a");
  list.erase(0);
  EXPECT_EQ(list.snapshot(), (std::vector<std::string>{"b", "c", "d"}));
  list[1] = "w";  // Python's list[1] = 'w': stores through the proxy
  EXPECT_EQ(list.snapshot(), (std::vector<std::string>{"b", "w", "d"}));
  list[0] = list[2];
  EXPECT_EQ(list.snapshot(), (std::vector<std::string>{"d", "w", "d"}));
  std::string copied = list[1];
  EXPECT_EQ(copied, "w");
  const ListProxy<std::string>& read_only = list;
  static_assert(!std::is_assignable_v<decltype(read_only[0]), std::string>,
                "a const proxy's element is a copy: assigning to it must not compile");
  static_assert(!std::is_assignable_v<decltype(std::declval<const ArrayProxy<int>&>()[0]), int>);
  list.erase(0);
  list.set(0, "b");
  list.insert(1, "c");
  EXPECT_EQ(list.snapshot(), (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_THROW(list.get(3), IndexError);
  EXPECT_THROW(list.remove("nope"), ValueError);
  EXPECT_THROW(list.index("nope"), ValueError);
  list.clear();
  EXPECT_THROW(list.pop(), IndexError);
  EXPECT_EQ(list.size(), 0u);
}

TEST_P(ManagerConformance, DictAndNamespaceFollowPythonSemantics) {
  SyncManager manager = StartManager();
  DictProxy<std::string, int> dict = manager.dict<std::string, int>({{"a", 1}});
  dict.set("b", 2);
  dict.update(std::vector<std::pair<std::string, int>>{{"c", 3}, {"a", 10}});
  EXPECT_EQ(dict.get("a"), 10);
  EXPECT_EQ(dict.get("zz", -1), -1);
  EXPECT_THROW(dict.get("zz"), KeyError);
  EXPECT_TRUE(dict.contains("b"));
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"a", "b", "c"})) << "insertion order";
  EXPECT_EQ(dict.values(), (std::vector<int>{10, 2, 3}));
  EXPECT_EQ(dict.size(), 3u);
  EXPECT_EQ(dict.pop("b"), 2);
  dict.erase("c");
  EXPECT_THROW(dict.erase("c"), KeyError);
  EXPECT_EQ(dict.snapshot(), (std::map<std::string, int>{{"a", 10}}));

  NamespaceProxy ns = manager.Namespace();
  ns.set("x", 10);
  ns.set("name", std::string("ada"));
  EXPECT_EQ(ns.get<int>("x"), 10);
  EXPECT_EQ(ns.get<std::string>("name"), "ada");
  EXPECT_THROW(ns.get<int>("missing"), AttributeError);
  EXPECT_THROW(ns.get<std::string>("x"), TypeError);
  EXPECT_TRUE(ns.has("x"));
  ns.erase("x");
  EXPECT_FALSE(ns.has("x"));
  EXPECT_EQ(ns.names(), (std::vector<std::string>{"name"}));

  ns.set("_cache", 99);  // as in Python, a '_' name is the proxy's own
  EXPECT_EQ(ns.get<int>("_cache"), 99);
  EXPECT_TRUE(ns.has("_cache"));
  EXPECT_THROW(ns.get<std::string>("_cache"), TypeError);
  EXPECT_EQ(ns.names(), (std::vector<std::string>{"name"})) << "'_cache' reached the manager";
  NamespaceProxy alias = ns;
  EXPECT_EQ(alias.get<int>("_cache"), 99);
  ns.erase("_cache");
  EXPECT_THROW(alias.get<int>("_cache"), AttributeError);
  EXPECT_THROW(ns.erase("_cache"), AttributeError);
}

// Proxies check element types by names every compiler gives alike (core/type_name.h): int64_t is
// long on Linux and long long on Windows, so a proxy of either must meet the same object, and a
// real mismatch reads as the types, not as mangled letters.
TEST_P(ManagerConformance, ElementTypesAreCheckedByPortableNames) {
  SyncManager manager = StartManager();
  NamespaceProxy ns = manager.Namespace();
  ns.set("big", 5LL);                    // as a program whose int64_t is long long stores it
  EXPECT_EQ(ns.get<int64_t>("big"), 5);  // and one whose int64_t is long reads it
  ns.set("count", int32_t{3});
  try {
    ns.get<int64_t>("count");
    ADD_FAILURE() << "an int32 attribute was read as an int64";
  } catch (const TypeError& error) {
    EXPECT_NE(std::string(error.what()).find("holds a 'int32', not a 'int64'"), std::string::npos)
        << error.what();
  }
}

void FillFromChild(DictProxy<int, std::string> dict, NamespaceProxy ns, QueueProxy<int> queue,
                   EventProxy done, ValueProxy<int> value) {
  dict.set(7, "seven");
  if (ns.has("_parent_only")) multiproc::exit(5);  // a '_' name must not travel
  ns.set("_child_only", 1);
  ns.set("from_child", 42);
  for (int i = 0; i < 5; ++i) queue.put(i);
  value.set(value.get() + 1);
  done.set();
}

TEST_P(ManagerConformance, ProxiesTravelToChildren) {
  SyncManager manager = StartManager();
  auto dict = manager.dict<int, std::string>();
  auto ns = manager.Namespace();
  auto queue = manager.Queue<int>();
  auto done = manager.Event();
  auto value = manager.Value<int>(41);
  ns.set("_parent_only", 1);
  Process child = MakeProcess(FillFromChild, dict, ns, queue, done, value);
  child.start();
  EXPECT_TRUE(done.wait(absl::Seconds(20)));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(queue.get(true, absl::Seconds(5)), i);
  EXPECT_THROW(queue.get(true, absl::Milliseconds(20)), Empty);
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(dict.get(7), "seven");
  EXPECT_EQ(ns.get<int>("from_child"), 42);
  EXPECT_EQ(ns.names(), (std::vector<std::string>{"from_child"}));
  EXPECT_EQ(value.get(), 42);
}

// Both halves of a blocking get: a ping-pong in which every get waits on the server until the
// other process puts, then a stream of puts at uneven gaps, so items land at every moment of the
// consumer's wait. Every get has a deadline, so a lost wake-up fails the test instead of hanging
// it (the Wine cell once timed out inside a manager Queue benchmark).
constexpr int kPingPongRounds = 200;
constexpr int kStreamedItems = 300;

void PingPongThenStream(QueueProxy<int> to_child, QueueProxy<int> to_parent) {
  for (int round = 0; round < kPingPongRounds; ++round) {
    to_parent.put(to_child.get(true, absl::Seconds(10)) + 1);
  }
  uint32_t gap = 12345;
  for (int item = 0; item < kStreamedItems; ++item) {
    gap = gap * 1103515245u + 12345u;  // a fixed pseudo-random sequence of gaps up to 200 µs
    absl::SleepFor(absl::Microseconds((gap >> 16) % 200));
    to_parent.put(item);
  }
}

TEST_P(ManagerConformance, ABlockedGetIsWokenByAnotherProcessesPut) {
  SyncManager manager = StartManager();
  auto to_child = manager.Queue<int>();
  auto to_parent = manager.Queue<int>();
  Process child = MakeProcess(PingPongThenStream, to_child, to_parent);
  child.start();
  for (int round = 0; round < kPingPongRounds; ++round) {
    to_child.put(round);
    ASSERT_EQ(to_parent.get(true, absl::Seconds(10)), round + 1) << "round " << round;
  }
  for (int item = 0; item < kStreamedItems; ++item) {
    ASSERT_EQ(to_parent.get(true, absl::Seconds(10)), item) << "streamed item " << item;
  }
  child.join(absl::Seconds(30));
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(ManagerConformance, SynchronizationProxiesFollowPythonSemantics) {
  SyncManager manager = StartManager();
  LockProxy lock = manager.Lock();
  EXPECT_TRUE(lock.acquire());
  EXPECT_FALSE(lock.acquire(false));
  EXPECT_FALSE(lock.acquire(true, absl::Milliseconds(30)));
  lock.release();
  EXPECT_THROW(lock.release(), ValueError);

  RLockProxy rlock = manager.RLock();
  EXPECT_TRUE(rlock.acquire());
  EXPECT_TRUE(rlock.acquire());
  rlock.release();
  rlock.release();
  EXPECT_THROW(rlock.release(), AssertionError);

  SemaphoreProxy bounded = manager.BoundedSemaphore(1);
  EXPECT_TRUE(bounded.acquire(false));
  EXPECT_FALSE(bounded.acquire(false));
  bounded.release();
  EXPECT_THROW(bounded.release(), ValueError);
  SemaphoreProxy semaphore = manager.Semaphore(0);
  semaphore.release();
  EXPECT_EQ(semaphore.get_value(), 1);

  EventProxy event = manager.Event();
  EXPECT_FALSE(event.wait(absl::Milliseconds(10)));
  event.set();
  EXPECT_TRUE(event.is_set());
  event.clear();
  EXPECT_FALSE(event.is_set());

  ConditionProxy condition = manager.Condition();
  EXPECT_THROW(condition.notify(), AssertionError);
  condition.acquire();
  EXPECT_FALSE(condition.wait(absl::Milliseconds(10)));
  condition.notify_all();
  condition.release();

  BarrierProxy barrier = manager.Barrier(1);
  EXPECT_EQ(barrier.wait(), 0);
  EXPECT_EQ(barrier.parties(), 1);
  BarrierProxy two = manager.Barrier(2);
  EXPECT_THROW(two.wait(absl::Milliseconds(20)), BrokenBarrierError);
  EXPECT_TRUE(two.broken());
  two.reset();
  EXPECT_FALSE(two.broken());

  auto queue = manager.JoinableQueue<std::string>(1);
  queue.put("x");
  EXPECT_TRUE(queue.full());
  EXPECT_THROW(queue.put_nowait("y"), Full);
  EXPECT_FALSE(queue.join(absl::Milliseconds(10)));
  EXPECT_EQ(queue.get_nowait(), "x");
  queue.task_done();
  EXPECT_TRUE(queue.join(absl::Seconds(1)));
  EXPECT_THROW(queue.task_done(), ValueError);

  ArrayProxy<double> array = manager.Array<double>({1.5, 2.5});
  array.set(1, 3.5);
  EXPECT_EQ(array.snapshot(), (std::vector<double>{1.5, 3.5}));
  EXPECT_THROW(array.get(2), IndexError);
}

void WaitThenSignal(ConditionProxy condition, ValueProxy<int> state, BarrierProxy barrier) {
  barrier.wait();
  std::lock_guard<ConditionProxy> hold(condition);
  state.set(1);
  condition.notify_all();
}

TEST_P(ManagerConformance, ConditionAndBarrierWorkAcrossProcesses) {
  SyncManager manager = StartManager();
  auto condition = manager.Condition();
  auto state = manager.Value<int>(0);
  auto barrier = manager.Barrier(2);
  Process child = MakeProcess(WaitThenSignal, condition, state, barrier);
  child.start();
  {
    std::lock_guard<ConditionProxy> hold(condition);
    barrier.wait(absl::Seconds(20));
    EXPECT_TRUE(condition.wait_for([&] { return state.get() == 1; }, absl::Seconds(20)));
  }
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(ManagerConformance, NestedProxiesKeepTheirObjectsAndRefcountsDropToZero) {
  SyncManager manager = StartManager();
  EXPECT_EQ(manager.object_count(), 0u);
  {
    auto outer = manager.list<ListProxy<int>>();
    {
      auto inner = manager.list<int>({1, 2});
      outer.append(inner);
      EXPECT_EQ(manager.object_count(), 2u);
    }
    EXPECT_EQ(manager.object_count(), 2u) << "the outer list keeps the inner one alive";
    ListProxy<int> back = outer.get(0);
    back.append(3);
    EXPECT_EQ(outer.get(0).snapshot(), (std::vector<int>{1, 2, 3}));
    ListProxy<int> popped = outer.pop();
    EXPECT_EQ(manager.object_count(), 2u) << "the popped proxy keeps it alive";
    popped = ListProxy<int>();
    back = ListProxy<int>();
    EXPECT_EQ(manager.object_count(), 1u) << "nobody refers to the inner list any more";
  }
  EXPECT_EQ(manager.object_count(), 0u);
  {
    auto dict = manager.dict<std::string, LockProxy>();
    dict.set("lock", manager.Lock());
    EXPECT_EQ(manager.object_count(), 2u);
  }
  EXPECT_EQ(manager.object_count(), 0u) << "releasing the dict releases what it held";
}

void KeepProxy(ListProxy<int> list, platform::OwnedHandle report) {
  list.append(1);
  testing::Send(report, "ok");
}

TEST_P(ManagerConformance, AChildsProxyCopyTakesAndDropsItsOwnReference) {
  SyncManager manager = StartManager();
  auto list = manager.list<int>();
  auto pipe = testing::MakeReportPipe();
  Process child = MakeProcess(KeepProxy, list, std::move(pipe.writer));
  child.start();
  child.join();
  EXPECT_EQ(testing::ReceiveAll(pipe.reader), "ok");
  EXPECT_EQ(manager.object_count(), 1u) << "the child's reference went with it";
  list = ListProxy<int>();
  EXPECT_EQ(manager.object_count(), 0u);
}

TEST_P(ManagerConformance, ADeadServerMakesEveryCallFailPromptly) {
  SyncManager manager = StartManager();
  auto list = manager.list<int>({1});
  auto queue = manager.Queue<int>();
  auto lock = manager.Lock();
  lock.acquire();
  std::thread blocked([&] {
    absl::Time start = absl::Now();
    EXPECT_THROW(queue.get(), EOFError) << "a call blocked on the server fails too";
    EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  });
  absl::SleepFor(absl::Milliseconds(100));
  manager.process()->kill();
  manager.process()->join();
  absl::Time start = absl::Now();
  EXPECT_THROW(list.append(2), EOFError);
  EXPECT_THROW(list.snapshot(), EOFError);
  EXPECT_THROW(lock.acquire(), EOFError);
  EXPECT_THROW(manager.object_count(), EOFError);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  blocked.join();
}

// Starts a manager, tells the parent its address, and waits to be killed.
void StartAManagerAndWait(Connection parent, std::string start_method) {
  SyncManager manager("", std::nullopt, start_method);
  manager.start();
  parent.send(manager.address());
  (void)parent.recv_bytes();  // never comes: the test kills this process
}

// The server dies with the process that started it, by a signal it cannot catch; its socket file
// and the private directory holding it must go too (20 rounds: a crash case).
TEST_P(ManagerConformance, AKilledParentsManagerLeavesNoSocketBehind) {
  for (int round = 0; round < 20; ++round) {
    auto [parent_end, child_end] = Pipe();
    Process parent = MakeProcess(StartAManagerAndWait, child_end, GetParam());
    parent.start();
    std::filesystem::path socket(parent_end.recv<std::string>());
    bool is_a_file = std::filesystem::exists(socket);
    parent.kill();
    parent.join();
    if (socket.string().rfind("\\\\.\\pipe\\", 0) == 0) {
      GTEST_SKIP() << "a named pipe is no file: it vanishes with its last handle";
    }
    ASSERT_TRUE(is_a_file) << socket << " while its server lived";
    ASSERT_TRUE(
        testing::HoldsWithin([&] { return !std::filesystem::exists(socket); }, absl::Seconds(10)))
        << socket << " outlived its server; round " << round;
    ASSERT_TRUE(testing::HoldsWithin([&] { return !std::filesystem::exists(socket.parent_path()); },
                                     absl::Seconds(10)))
        << "the private directory " << socket.parent_path() << " outlived its server";
  }
}

TEST_P(ManagerConformance, ShutdownEndsTheServer) {
  SyncManager manager = StartManager();
  auto list = manager.list<int>();
  Process server = *manager.process();
  manager.shutdown();
  EXPECT_EQ(server.exitcode(), 0);
  EXPECT_THROW(list.append(1), EOFError);
  manager.shutdown();  // harmless twice
}

// A user type with exposed and unexposed methods.
struct Counter {
  explicit Counter(int start) : n(start) {}
  int increment(int by) { return n += by; }
  int get() const { return n; }
  void reset() { n = 0; }
  void fail() { throw std::out_of_range("counter overflow"); }
  int n;
};

void CounterTypes(ManagerTypes& types) {
  types.add<Counter, int>("Counter")
      .expose("increment", &Counter::increment)
      .expose("get", &Counter::get)
      .expose("fail", &Counter::fail);
}

void IncrementCounter(Proxy counter) { counter.call<int>("increment", 10); }

TEST_P(ManagerConformance, RegisteredTypesExposeOnlyTheirNamedMethods) {
  BaseManager manager("", std::nullopt, GetParam());
  manager.register_types(CounterTypes);
  manager.start();
  Proxy counter = manager.create("Counter", 5);
  EXPECT_EQ(counter.call<int>("increment", 2), 7);
  Process child = MakeProcess(IncrementCounter, counter);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(counter.call<int>("get"), 17);
  EXPECT_THROW(counter.call("reset"), RemoteError) << "not exposed";
  try {
    counter.call("fail");
    ADD_FAILURE() << "no exception";
  } catch (const RemoteError& error) {
    EXPECT_NE(std::string(error.what()).find("std::out_of_range"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("counter overflow"), std::string::npos);
  }
  EXPECT_THROW(counter.call<int>("increment", std::string("x")), TypeError);
  EXPECT_THROW(manager.create("Nonexistent"), RemoteError);
  EXPECT_EQ(counter.call<int>("get"), 17) << "the server still serves";
}

internal::manager::Reply Ask(Connection& connection, const internal::manager::Request& request) {
  connection.send(request);
  return connection.recv<internal::manager::Reply>();
}

TEST_P(ManagerConformance, BadRequestsGetTypedErrorsAndTheServerKeepsServing) {
  SyncManager manager = StartManager();
  auto list = manager.list<int>({1});
  Connection raw = Client(manager.address(), manager.authkey());
  using internal::manager::Op;
  using internal::manager::Request;
  Request unknown_id{Op::kCall, 987654, list.type(), "size", ""};
  EXPECT_EQ(Ask(raw, unknown_id).error_type, "KeyError");
  Request unknown_method{Op::kCall, list.id(), list.type(), "frobnicate", ""};
  EXPECT_EQ(Ask(raw, unknown_method).error_type, "RemoteError");
  Request wrong_type{Op::kCall, list.id(), "list<wrong>", "size", ""};
  EXPECT_EQ(Ask(raw, wrong_type).error_type, "TypeError");
  Request bad_args{Op::kCall, list.id(), list.type(), "get", "\x01"};
  EXPECT_EQ(Ask(raw, bad_args).error_type, "TypeError");
  Request unknown_type{Op::kCreate, 0, "Frobnicator", "", ""};
  EXPECT_EQ(Ask(raw, unknown_type).error_type, "RemoteError");
  raw.send_bytes(std::string_view("\x07garbage"));
  EXPECT_FALSE(raw.recv<internal::manager::Reply>().ok);

  // Lengths inside a request that exceed the message are refused before any allocation.
  Connection lying = Client(manager.address(), manager.authkey());
  lying.send_bytes(std::string(100, 'x'));
  internal::manager::Reply refused = lying.recv<internal::manager::Reply>();
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.message.find("malformed"), std::string::npos) << refused.message;
  // A client that announces a huge request, or stops in the middle of one, loses only its
  // connection.
  Connection oversized = Client(manager.address(), manager.authkey());
  oversized.send_bytes(std::string_view("\xff\xff\xff\xff"));  // -1: an 8-byte length follows
  Connection truncated = Client(manager.address(), manager.authkey());
  const char partial[] = {0, 0, 3, static_cast<char>(0xe8), 1, 2, 3};  // 1000 announced, 3 sent
  ASSERT_TRUE(platform::WriteAll(truncated.fileno(),
                                 {reinterpret_cast<const std::byte*>(partial), sizeof(partial)})
                  .ok());
  oversized.close();
  truncated.close();
  EXPECT_EQ(list.size(), 1u);
  list.append(2);
  EXPECT_EQ(list.snapshot(), (std::vector<int>{1, 2}));
}

// Strangers at the manager's address, before they have authenticated: each connects and
// closes at once (a port scan, a health check), sends half a length header, or offers a wrong
// key. None of them may stop the server: after each, its own proxies still work.
void MisbehaveAt(const std::string& address, int round) {
  platform::AddressFamily family = platform::AddressFamilyOf(address);
  {
    absl::StatusOr<platform::OwnedHandle> closes_at_once = platform::ConnectTo(family, address);
    ASSERT_TRUE(closes_at_once.ok()) << closes_at_once.status();
  }
  {
    absl::StatusOr<platform::OwnedHandle> half_header = platform::ConnectTo(family, address);
    ASSERT_TRUE(half_header.ok()) << half_header.status();
    const std::byte two_bytes[2] = {std::byte{0}, std::byte{0}};
    (void)platform::WriteAll(half_header->get(), two_bytes);
  }
  if (round % 5 == 0) {
    EXPECT_THROW(Client(address, std::string("not the key")), AuthenticationError);
  }
}

TEST_P(ManagerConformance, PeersThatFailTheHandshakeNeverStopTheServer) {
  for (const std::string& address : kAddressOfEachFamily) {
    SyncManager manager = StartManager(address);
    auto dict = manager.dict<int, int>();
    for (int round = 0; round < 20; ++round) {
      MisbehaveAt(manager.address(), round);
      dict.set(round, round);
    }
    EXPECT_EQ(dict.size(), 20u) << "at " << manager.address();
  }
}

// Where a peer that holds the key can stop inside the handshake, then close: after reading the
// server's challenge, after answering it, after challenging the server in turn.
enum class HandshakeStop { kAfterTheChallenge, kAfterAnswering, kAfterChallengingBack };

Connection ConnectRaw(const std::string& address) {
  absl::StatusOr<platform::OwnedHandle> raw =
      platform::ConnectTo(platform::AddressFamilyOf(address), address);
  if (!raw.ok()) throw OSError(std::string(raw.status().message()));
  return Connection::FromHandle(std::move(*raw), /*readable=*/true, /*writable=*/true);
}

void StopInsideTheHandshake(const std::string& address, const std::string& key,
                            HandshakeStop stop) {
  Connection peer = ConnectRaw(address);
  if (stop == HandshakeStop::kAfterTheChallenge) {
    (void)peer.recv_bytes();
    return;
  }
  internal::AnswerChallenge(peer, key);
  if (stop == HandshakeStop::kAfterChallengingBack) {
    peer.send_bytes(std::string("#CHALLENGE#{sha256}") + std::string(40, 'x'));
  }
}

// A key holder that answers the server's challenge, says so, and waits to be killed there.
void AnswerThenWaitToBeKilled(std::string address, std::string key, Connection parent) {
  Connection peer = ConnectRaw(address);
  internal::AnswerChallenge(peer, key);
  parent.send(std::string("answered"));
  (void)parent.recv_bytes();  // never comes: the test kills this process
}

// Peers that stop at each step of the handshake, and key holders killed inside it (20 rounds
// each), over the default family (a Unix socket, or a named pipe on Windows) and TCP: the server
// serves on after every one.
TEST_P(ManagerConformance, PeersThatStopInsideTheHandshakeNeverStopTheServer) {
  for (const std::string& address : kAddressOfEachFamily) {
    SyncManager manager = StartManager(address);
    auto dict = manager.dict<int, int>();
    for (int round = 0; round < 20; ++round) {
      for (HandshakeStop stop : {HandshakeStop::kAfterTheChallenge, HandshakeStop::kAfterAnswering,
                                 HandshakeStop::kAfterChallengingBack}) {
        StopInsideTheHandshake(manager.address(), manager.authkey(), stop);
      }
      dict.set(round, round);
    }
    for (int round = 0; round < 20; ++round) {
      auto [to_holder, holder_end] = Pipe();
      Process holder =
          MakeProcess(AnswerThenWaitToBeKilled, manager.address(), manager.authkey(), holder_end);
      holder.start();
      ASSERT_EQ(to_holder.recv<std::string>(), "answered");
      holder.kill();
      holder.join();
      dict.set(100 + round, round);
    }
    EXPECT_EQ(dict.size(), 40u) << "at " << manager.address();
  }
}

void AppendOne(ListProxy<int> list) { list.append(1); }

// A peer that connects and says nothing must not keep anyone else out: the handshake waits on
// that peer's own thread (and gives up after a deadline), never on the accept loop.
TEST_P(ManagerConformance, ASilentPeerDoesNotBlockNewClients) {
  SyncManager manager = StartManager();
  auto list = manager.list<int>();
  absl::StatusOr<platform::OwnedHandle> silent =
      platform::ConnectTo(platform::AddressFamilyOf(manager.address()), manager.address());
  ASSERT_TRUE(silent.ok()) << silent.status();
  Process child = MakeProcess(AppendOne, list);  // its proxy connects afresh
  child.start();
  child.join(absl::Seconds(5));
  if (child.is_alive()) child.kill();
  child.join();
  EXPECT_EQ(child.exitcode(), 0) << "a new client waited behind a silent peer";
  EXPECT_EQ(list.size(), 1u);
}

TEST_P(ManagerConformance, WrongAuthkeyIsRefused) {
  SyncManager manager = StartManager();
  SyncManager intruder(manager.address(), std::string("wrong key"));
  EXPECT_THROW(intruder.connect(), AuthenticationError);
  SyncManager friendly(manager.address(), manager.authkey());
  friendly.connect();
  auto list = friendly.list<int>({3});
  EXPECT_EQ(list.snapshot(), (std::vector<int>{3}));
}

}  // namespace
}  // namespace multiproc

namespace multiproc {
namespace {

// Remote managers: a separately launched program serves on TCP; this test connects with the key
// it handed over through a pipe, and with a wrong one.
TEST(RemoteManager, ClientsOfAnIndependentProgramShareItsObjects) {
  try {
    Listener probe("127.0.0.1:0");
  } catch (const Error& error) {
    GTEST_SKIP() << "no TCP listener on this platform: " << error.what();
  }
  absl::StatusOr<std::string> self = platform::CurrentExecutablePath();
  ASSERT_TRUE(self.ok());
  testing::ReportPipe key = testing::MakeReportPipe();
  testing::ReportPipe report = testing::MakeReportPipe();
  platform::LaunchSpec spec;
  spec.executable =
      std::filesystem::path(*self).replace_filename(MULTIPROC_MANAGER_SERVER_PROGRAM_NAME).string();
  spec.arguments = {std::to_string(key.reader.get()), std::to_string(report.writer.get())};
  spec.handles_to_pass = {key.reader.get(), report.writer.get()};
  spec.kill_when_parent_dies = true;
  absl::StatusOr<platform::ChildProcess> program = platform::Launch(spec);
  ASSERT_TRUE(program.ok()) << program.status();
  key.reader.reset();
  report.writer.reset();
  const std::string secret = "a key the two programs share";
  testing::Send(key.writer, secret);
  key.writer.reset();
  std::string address = testing::ReceiveAll(report.reader);
  ASSERT_NE(address.find("127.0.0.1:"), std::string::npos) << address;

  SyncManager intruder(address, std::string("not the key"));
  EXPECT_THROW(intruder.connect(), AuthenticationError);

  SyncManager first(address, secret);
  first.connect();
  auto shared = first.dict<std::string, int>();
  shared.set("answer", 42);
  auto queue = first.Queue<std::string>();
  queue.put("from the first client");
  {
    // A second client, as another host would be: it finds the objects through proxies it was
    // given (here by value, as they would arrive in a message).
    SyncManager second(address, secret);
    second.connect();
    HandleTable handles;
    std::string bytes = internal::Encode(handles, shared, queue);
    DictProxy<std::string, int> received_dict;
    QueueProxy<std::string> received_queue;
    internal::Decode(bytes, handles, received_dict, received_queue);
    EXPECT_EQ(received_dict.get("answer"), 42);
    EXPECT_EQ(received_queue.get(true, absl::Seconds(5)), "from the first client");
    received_dict.set("second", 2);
  }
  EXPECT_EQ(shared.get("second"), 2);
  EXPECT_EQ(first.object_count(), 2u);
  first.shutdown();
  absl::StatusOr<std::optional<platform::ExitStatus>> status = program->Wait(absl::Seconds(10));
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_TRUE(status->has_value()) << "the server program did not exit on shutdown";
  EXPECT_EQ((*status)->python_exitcode(), 0);
  EXPECT_THROW(shared.get("answer"), EOFError);
}

}  // namespace
}  // namespace multiproc
