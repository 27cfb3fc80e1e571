// Pool under every start method: results equal the sequential computation, callbacks and errors
// arrive, timeouts, worker reuse and maxtasksperchild (seed 004), a Lock through initargs and as a
// task argument (seed 002), and what CPython's Pool cannot do: a worker killed mid-task fails only
// its task and the pool keeps serving; an initializer that throws fails fast.
#include "core/pool.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "core/sharedctypes.h"
#include "core/synchronize.h"
#include "core/task_error.h"
#include "tests/conformance/conformance_support.h"

namespace multiproc {
namespace {

class PoolConformance : public testing::StartMethodTest {
 protected:
  PoolOptions Options(int processes) const {
    return PoolOptions().processes(processes).start_method(GetParam());
  }
};
MULTIPROC_FOR_EVERY_START_METHOD(PoolConformance);

int Square(int x) { return x * x; }
int Add(int a, int b) { return a + b; }
std::string Describe(std::string word, int times) {
  std::string text;
  for (int i = 0; i < times; ++i) text += word;
  return text;
}
ProcessId WorkerPid(int) { return platform::CurrentProcessId(); }
void DoNothing() {}

int ThrowInvalidArgument(int x) {
  throw std::invalid_argument("no square root of " + std::to_string(x));
}
int ThrowValueError(int) { throw ValueError("values must be positive"); }
int ThrowOnSeven(int x) {
  if (x == 7) throw std::runtime_error("seven is unlucky");
  return x;
}

int SleepMilliseconds(int milliseconds) {
  absl::SleepFor(absl::Milliseconds(milliseconds));
  return milliseconds;
}

int KillSelfOnThree(int x) {
  if (x == 3) (void)platform::SignalProcess(platform::CurrentProcessId(), platform::kSignalKill);
  return x;
}

int ExitWithThree(int) { multiproc::exit(3); }

std::vector<int> Squares(const std::vector<int>& inputs) {
  std::vector<int> expected;
  for (int x : inputs) expected.push_back(Square(x));
  return expected;
}

std::vector<int> Range(int count) {
  std::vector<int> values(static_cast<size_t>(count));
  std::iota(values.begin(), values.end(), 0);
  return values;
}

TEST_P(PoolConformance, MapEqualsTheSequentialComputation) {
  Pool pool(Options(2));
  std::vector<int> inputs = Range(100);
  EXPECT_EQ(pool.map(Square, inputs), Squares(inputs));
  EXPECT_EQ(pool.map(Square, inputs, 1), Squares(inputs));
  EXPECT_EQ(pool.map(Square, inputs, 7), Squares(inputs));
  EXPECT_EQ(pool.map(Square, std::vector<int>{}), std::vector<int>{});
  EXPECT_EQ(pool.map_async(Square, inputs, 3).get(absl::Seconds(10)), Squares(inputs));
}

TEST_P(PoolConformance, StarmapEqualsTheSequentialComputation) {
  Pool pool(Options(2));
  std::vector<std::tuple<int, int>> pairs;
  std::vector<int> expected;
  for (int i = 0; i < 50; ++i) {
    pairs.emplace_back(i, 2 * i);
    expected.push_back(3 * i);
  }
  EXPECT_EQ(pool.starmap(Add, pairs), expected);
  EXPECT_EQ(pool.starmap_async(Add, pairs, 4).get(absl::Seconds(10)), expected);
  std::vector<std::pair<std::string, int>> words{{"ab", 2}, {"c", 3}};
  EXPECT_EQ(pool.starmap(Describe, words), (std::vector<std::string>{"abab", "ccc"}));
  EXPECT_EQ(pool.starmap(Add, std::vector<std::tuple<int, int>>{}), std::vector<int>{});
}

TEST_P(PoolConformance, ImapKeepsInputOrderAndImapUnorderedDeliversEveryResult) {
  Pool pool(Options(2));
  std::vector<int> inputs = Range(40);
  std::vector<int> ordered;
  IMapIterator<int> in_order = pool.imap(Square, inputs);
  while (std::optional<int> value = in_order.next(absl::Seconds(10))) ordered.push_back(*value);
  EXPECT_EQ(ordered, Squares(inputs));
  EXPECT_EQ(in_order.next(), std::nullopt) << "stays exhausted";

  std::multiset<int> unordered;
  for (int value : pool.imap_unordered(Square, inputs, 3)) unordered.insert(value);
  std::vector<int> expected = Squares(inputs);
  EXPECT_EQ(unordered, std::multiset<int>(expected.begin(), expected.end()));

  EXPECT_EQ(pool.imap(Square, std::vector<int>{}).next(), std::nullopt);
  EXPECT_EQ(pool.imap_unordered(Square, std::vector<int>{}).next(), std::nullopt);
}

TEST_P(PoolConformance, ApplyAndApplyAsyncReturnTheValue) {
  Pool pool(Options(2));
  EXPECT_EQ(pool.apply(Square, 9), 81);
  EXPECT_EQ(pool.apply(Describe, std::string("xy"), 3), "xyxyxy");
  EXPECT_EQ(pool.apply([](int a, int b) { return a - b; }, 10, 4), 6) << "capture-less lambda";
  AsyncResult<int> result = pool.apply_async(Add, 20, 22);
  EXPECT_EQ(result.get(absl::Seconds(10)), 42);
  EXPECT_TRUE(result.ready());
  EXPECT_TRUE(result.successful());
  AsyncResult<void> nothing = pool.apply_async(DoNothing);
  nothing.get(absl::Seconds(10));
  EXPECT_TRUE(nothing.successful());
}

TEST_P(PoolConformance, CallbacksAndErrorCallbacksRunBeforeTheResultIsReady) {
  Pool pool(Options(2));
  std::atomic<int> seen{0};
  std::string error_seen;
  std::mutex error_mutex;
  AsyncResult<int> good =
      pool.apply_async(Callbacks<int>([&seen](const int& value) { seen = value; }), Square, 12);
  AsyncResult<int> bad =
      pool.apply_async(Callbacks<int>([](const int&) {},
                                      [&](const Error& error) {
                                        std::lock_guard<std::mutex> lock(error_mutex);
                                        error_seen = error.what();
                                      }),
                       ThrowInvalidArgument, 5);
  EXPECT_EQ(good.get(absl::Seconds(10)), 144);
  EXPECT_EQ(seen.load(), 144);
  bad.wait(absl::Seconds(10));
  ASSERT_TRUE(bad.ready());
  EXPECT_FALSE(bad.successful());
  {
    std::lock_guard<std::mutex> lock(error_mutex);
    EXPECT_NE(error_seen.find("no square root of 5"), std::string::npos) << error_seen;
  }
  std::vector<int> mapped;
  auto whole = pool.map_async(
      Square, Range(5), std::nullopt,
      Callbacks<std::vector<int>>([&mapped](const std::vector<int>& values) { mapped = values; }));
  whole.wait(absl::Seconds(10));
  EXPECT_EQ(mapped, Squares(Range(5)));
}

TEST_P(PoolConformance, ExceptionsPropagateWithTypeNameAndMessage) {
  Pool pool(Options(2));
  try {
    pool.apply(ThrowInvalidArgument, 3);
    FAIL() << "expected TaskError";
  } catch (const TaskError& error) {
    EXPECT_EQ(error.type_name(), "std::invalid_argument");
    EXPECT_EQ(error.message(), "no square root of 3");
    EXPECT_EQ(std::string(error.what()), "std::invalid_argument: no square root of 3");
  }
  EXPECT_THROW(pool.apply(ThrowValueError, 1), ValueError) << "multiproc's types stay themselves";
  try {
    pool.map(ThrowOnSeven, Range(20), 2);
    FAIL() << "expected the map to fail";
  } catch (const RemoteError& error) {
    EXPECT_NE(std::string(error.what()).find("seven is unlucky"), std::string::npos);
  }
  IMapIterator<int> items = pool.imap(ThrowOnSeven, Range(9));
  for (int i = 0; i < 9; ++i) {
    if (i == 7) {
      EXPECT_THROW(items.next(absl::Seconds(10)), TaskError);
    } else {
      EXPECT_EQ(items.next(absl::Seconds(10)), i) << "a failed item does not stop the others";
    }
  }
  EXPECT_EQ(pool.apply(Square, 3), 9) << "the pool still serves";
}

TEST_P(PoolConformance, GetWithATimeoutRaisesTimeoutErrorAndTheResultStaysPending) {
  Pool pool(Options(1));
  AsyncResult<int> slow = pool.apply_async(SleepMilliseconds, 300);
  absl::Time began = absl::Now();
  EXPECT_THROW(slow.get(absl::Milliseconds(20)), TimeoutError);
  EXPECT_LT(absl::Now() - began, absl::Milliseconds(250));
  EXPECT_FALSE(slow.ready());
  EXPECT_THROW(slow.successful(), ValueError) << "not ready yet";
  IMapIterator<int> items = pool.imap(SleepMilliseconds, std::vector<int>{200});
  EXPECT_THROW(items.next(absl::Milliseconds(10)), TimeoutError);
  EXPECT_EQ(slow.get(absl::Seconds(10)), 300);
  EXPECT_EQ(items.next(absl::Seconds(10)), 200);
}

TEST_P(PoolConformance, MaxtasksperchildOneGivesEveryItemAFreshWorker) {
  std::vector<ProcessId> reused;
  {
    Pool pool(Options(1));
    reused = pool.map(WorkerPid, Range(6), 1);
  }
  EXPECT_EQ(std::set<ProcessId>(reused.begin(), reused.end()).size(), 1u)
      << "without a limit one worker runs everything";
  Pool pool(Options(2).maxtasksperchild(1));
  std::vector<ProcessId> pids = pool.map(WorkerPid, Range(6), 3);
  EXPECT_EQ(std::set<ProcessId>(pids.begin(), pids.end()).size(), 6u)
      << "items are counted, not chunks (CPython would reuse a worker for a whole chunk)";
  Pool two(Options(2).maxtasksperchild(2));
  std::vector<ProcessId> paired = two.map(WorkerPid, Range(8), 1);
  EXPECT_GE(std::set<ProcessId>(paired.begin(), paired.end()).size(), 4u);
}

// Seed 004: a global appended to inside tasks.
std::vector<int>& SeedList() {
  static std::vector<int> list{-1};  // the seed's ['haha']
  return list;
}
std::vector<int> AppendToSeedList(int i) {
  SeedList().push_back(i);
  return SeedList();
}

TEST_P(PoolConformance, Seed004WorkerGlobalsAccumulateUnlessMaxtasksperchildIsOne) {
  {
    Pool pool(Options(1));
    std::vector<int> expected{-1};
    for (int i = 0; i < 5; ++i) {
      expected.push_back(i);
      EXPECT_EQ(pool.apply(AppendToSeedList, i), expected) << "one reused worker accumulates";
    }
  }
  {
    Pool pool(Options(2).maxtasksperchild(1));
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(pool.apply(AppendToSeedList, i), (std::vector<int>{-1, i}))
          << "a fresh worker per task starts from the program's own state";
    }
  }
  EXPECT_EQ(SeedList(), std::vector<int>{-1}) << "the parent's copy never changes";
}

// Seed 002: a Lock set up as a worker global by the initializer.
std::optional<Lock>& WorkerLock() {
  static std::optional<Lock> lock;
  return lock;
}
void InstallLock(Lock lock) { WorkerLock().emplace(std::move(lock)); }
bool TryWorkerLock(int) {
  bool taken = WorkerLock()->acquire(false);
  if (taken) WorkerLock()->release();
  return taken;
}
int IncrementUnderWorkerLock(Value<int> counter) {
  std::lock_guard<Lock> hold(*WorkerLock());
  int now = counter.get_obj().get() + 1;
  counter.get_obj().set(now);
  return now;
}
bool TryLockArgument(Lock lock) {
  bool taken = lock.acquire(false);
  if (taken) lock.release();
  return taken;
}
int IncrementUnderLockArgument(Lock lock, RawValue<int> counter) {
  std::lock_guard<Lock> hold(lock);
  counter.set(counter.get() + 1);
  return counter.get();
}

TEST_P(PoolConformance, Seed002LockThroughInitargsIsSharedWithEveryWorker) {
  Lock lock;
  Pool pool(Options(2), InstallLock, lock);
  lock.acquire();
  EXPECT_FALSE(pool.apply(TryWorkerLock, 0)) << "the workers' lock is the parent's lock";
  lock.release();
  EXPECT_TRUE(pool.apply(TryWorkerLock, 0));
  Value<int> counter(0);
  std::vector<Value<int>> counters(40, counter);
  std::vector<int> seen = pool.map(IncrementUnderWorkerLock, counters, 1);
  EXPECT_EQ(counter.get(), 40);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen.back(), 40);
  EXPECT_EQ(std::set<int>(seen.begin(), seen.end()).size(), 40u) << "no two increments collided";
}

int AddToValue(Value<int> total, int amount) {
  std::lock_guard hold(total.get_lock());
  total.set(total.get() + amount);
  return amount;
}

// One object in many items of one chunk (and in consecutive chunks to the same worker): its
// handle travels once per chunk and every item decodes it.
TEST_P(PoolConformance, TheSameShareableInManyItemsOfAChunkReachesEachItem) {
  Pool pool(Options(2));
  Lock lock;
  // One chunk of ten: one worker decodes the Lock ten times (two chunks would let two workers
  // try the lock at the same moment, and one of them find it taken by the other).
  std::vector<bool> free = pool.map(TryLockArgument, std::vector<Lock>(10, lock), 10);
  EXPECT_EQ(std::count(free.begin(), free.end(), true), 10);
  lock.acquire();
  std::vector<bool> taken = pool.map(TryLockArgument, std::vector<Lock>(10, lock));
  lock.release();
  EXPECT_EQ(std::count(taken.begin(), taken.end(), false), 10) << "every item saw the same Lock";
  Value<int> total(0);
  std::vector<std::pair<Value<int>, int>> items;
  for (int amount = 1; amount <= 20; ++amount) items.emplace_back(total, amount);
  std::vector<int> added = pool.starmap(AddToValue, items, 4);
  EXPECT_EQ(added.size(), 20u);
  EXPECT_EQ(total.get(), 210);
}

TEST_P(PoolConformance, ALockAndAValueAreValidTaskArguments) {
  Pool pool(Options(2));
  Lock lock;  // made after the workers started: it reaches them with the task
  lock.acquire();
  EXPECT_FALSE(pool.apply(TryLockArgument, lock));
  lock.release();
  EXPECT_TRUE(pool.apply(TryLockArgument, lock));
  RawValue<int> counter(0);
  std::vector<AsyncResult<int>> results;
  for (int i = 0; i < 30; ++i) {
    results.push_back(pool.apply_async(IncrementUnderLockArgument, lock, counter));
  }
  for (auto& result : results) result.get(absl::Seconds(10));
  EXPECT_EQ(counter.get(), 30);
}

TEST_P(PoolConformance, AKilledWorkerFailsItsTaskWithWorkerLostErrorAndTheRestComplete) {
  Pool pool(Options(2));
  IMapIterator<int> items = pool.imap(KillSelfOnThree, Range(10));
  for (int i = 0; i < 10; ++i) {
    if (i == 3) {
      try {
        items.next(absl::Seconds(20));
        FAIL() << "expected WorkerLostError";
      } catch (const WorkerLostError& error) {
        EXPECT_NE(std::string(error.what()).find("killed by signal 9"), std::string::npos)
            << error.what();
      }
    } else {
      EXPECT_EQ(items.next(absl::Seconds(20)), i);
    }
  }
  EXPECT_THROW(pool.map(KillSelfOnThree, Range(6), 1), WorkerLostError);
  EXPECT_EQ(pool.map(Square, Range(20)), Squares(Range(20))) << "the pool keeps serving";
  try {
    pool.apply(ExitWithThree, 0);
    FAIL() << "expected WorkerLostError";
  } catch (const WorkerLostError& error) {
    EXPECT_NE(std::string(error.what()).find("exited with code 3"), std::string::npos)
        << error.what();
  }
  pool.close();
  pool.join();
}

void FailingInitializer() { throw std::runtime_error("no database"); }
void DyingInitializer() { multiproc::exit(4); }

TEST_P(PoolConformance, AnInitializerThatThrowsFailsFastInsteadOfRespawningForever) {
  absl::Time began = absl::Now();
  Pool pool(Options(2), FailingInitializer);
  try {
    pool.apply(Square, 2);
    FAIL() << "expected the initializer's error";
  } catch (const TaskError& error) {
    EXPECT_EQ(error.type_name(), "std::runtime_error");
    EXPECT_NE(std::string(error.what()).find("the pool's initializer failed: no database"),
              std::string::npos)
        << error.what();
  }
  EXPECT_THROW(pool.map(Square, Range(10)), TaskError) << "later tasks fail the same way";
  pool.close();
  pool.join();
  EXPECT_LT(absl::Now() - began, absl::Seconds(10));

  Pool dying(Options(1), DyingInitializer);
  try {
    dying.apply(Square, 2);
    FAIL() << "expected WorkerLostError";
  } catch (const WorkerLostError& error) {
    EXPECT_NE(std::string(error.what()).find("the last of 3 workers in a row"), std::string::npos)
        << error.what();
  }
}

// The first worker to start is killed (kill -9) before it is ready, as a stranger's kill would
// land while it starts; the others start normally.
void KillTheFirstToStart(Value<int> starts) {
  int order = 0;
  {
    std::lock_guard hold(starts.get_lock());
    order = starts.get();
    starts.set(order + 1);
  }
  if (order == 0)
    (void)platform::SignalProcess(platform::CurrentProcessId(), platform::kSignalKill);
}

TEST_P(PoolConformance, AWorkerKilledBeforeItIsReadyIsReplacedAndNoTaskFails) {
  for (int round = 0; round < 20; ++round) {
    Value<int> starts(0);
    Pool pool(Options(2), KillTheFirstToStart, starts);
    EXPECT_EQ(pool.map(Square, Range(8)), Squares(Range(8))) << "round " << round;
    // A running pool replaces the killed worker, whose replacement counts its start too.
    EXPECT_TRUE(testing::HoldsWithin([&] { return starts.get() == 3; }, absl::Seconds(20)))
        << "the killed worker was not replaced; round " << round;
    pool.close();
    pool.join();
    EXPECT_EQ(starts.get(), 3) << "round " << round;
  }
}

// A result whose serialization fails at run time (cereal accepts the type at compile time).
struct Unsendable {
  template <typename Archive>
  void save(Archive&) const {
    throw SerializationError("an Unsendable cannot travel");
  }
  template <typename Archive>
  void load(Archive&) {}
};

Unsendable MakeUnsendable(int) { return {}; }
int TakeUnsendable(Unsendable) { return 1; }

TEST_P(PoolConformance, BadInputRaisesTypedErrors) {
  EXPECT_THROW({ Pool none(Options(0)); }, ValueError);
  EXPECT_THROW({ Pool unlimited(Options(1).maxtasksperchild(0)); }, ValueError);
  Pool pool(Options(1));
  EXPECT_THROW(pool.map(Square, Range(3), 0), ValueError);
  EXPECT_THROW(pool.imap(Square, Range(3), 0), ValueError);
  EXPECT_THROW(pool.join(), ValueError) << "join before close";
  EXPECT_THROW(pool.apply(MakeUnsendable, 1), SerializationError) << "a result";
  EXPECT_THROW(pool.apply(TakeUnsendable, Unsendable()), SerializationError) << "an argument";
  EXPECT_THROW(pool.map(TakeUnsendable, std::vector<Unsendable>(3)), SerializationError);
  EXPECT_EQ(pool.apply(Square, 5), 25);
  pool.close();
  EXPECT_THROW(pool.apply(Square, 1), ValueError);
  EXPECT_THROW(pool.map(Square, Range(3)), ValueError);
  pool.join();
}

TEST_P(PoolConformance, CloseFinishesQueuedTasksAndTerminateFailsThem) {
  {
    Pool pool(Options(2));
    auto result = pool.map_async(SleepMilliseconds, std::vector<int>{30, 30, 30, 30}, 1);
    pool.close();
    pool.join();
    EXPECT_EQ(result.get(absl::Seconds(0)), (std::vector<int>{30, 30, 30, 30}));
  }
  absl::Time began = absl::Now();
  {
    Pool pool(Options(1));
    AsyncResult<int> slow = pool.apply_async(SleepMilliseconds, 10000);
    AsyncResult<int> queued = pool.apply_async(Square, 2);
    pool.terminate();
    EXPECT_THROW(slow.get(absl::Seconds(5)), ProcessError);
    EXPECT_THROW(queued.get(absl::Seconds(5)), ProcessError);
    pool.join();
  }
  {
    Pool pool(Options(2));
    pool.apply_async(SleepMilliseconds, 10000);  // still running when the pool goes away
  }
  EXPECT_LT(absl::Now() - began, absl::Seconds(8)) << "neither terminate nor the destructor hang";
}

int SumOfSquaresInANestedPool(int count) {
  Pool inner(PoolOptions().processes(1));
  std::vector<int> squares = inner.map(Square, Range(count));
  return std::accumulate(squares.begin(), squares.end(), 0);
}

TEST_P(PoolConformance, ATaskMayCreateAPool) {
  Pool pool(Options(1));
  EXPECT_EQ(pool.apply(SumOfSquaresInANestedPool, 5), 0 + 1 + 4 + 9 + 16);
}

}  // namespace
}  // namespace multiproc
