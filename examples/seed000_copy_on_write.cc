// Seed 000: "copy on write is impossible due to reference counts" — in CPython a fork child that
// merely reads a big inherited list dirties every page (reference counts live in the objects) and
// so copies it all. In C++ reading touches no page, so a fork child adds about nothing; a spawn
// child has no inherited memory and must be sent a copy; a shared RawArray is never copied under
// any start method. Prints how much of the buffer each child holds privately after reading it
// (for the spawn child, its received copy); Linux only, Windows does not report it.
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <vector>

#include "core/multiproc.h"
#include "platform/memory_usage.h"

namespace {

constexpr size_t kBytes = size_t{128} << 20;
std::vector<uint8_t> inherited;  // filled in main before any fork

// Private bytes of the mappings holding the buffer; -1 where unmeasured.
int64_t PrivateBytes(const uint8_t* bytes, size_t size) {
  absl::StatusOr<uint64_t> held = multiproc::platform::PrivateBytesOf(bytes, size);
  return held.ok() ? static_cast<int64_t>(*held) : -1;
}

// The growth of the buffer's private pages while this child sums it; -1 where unmeasured.
int64_t GrowthWhileSumming(const uint8_t* bytes, size_t size, uint64_t& sum) {
  int64_t before = PrivateBytes(bytes, size);
  sum = std::accumulate(bytes, bytes + size, uint64_t{0});
  int64_t after = PrivateBytes(bytes, size);
  return before < 0 || after < 0 ? -1 : after - before;
}

void ReadInherited(multiproc::RawArray<int64_t> report) {
  uint64_t sum = 0;
  report[0] = GrowthWhileSumming(inherited.data(), inherited.size(), sum);
  report[1] = static_cast<int64_t>(sum);
}

void ReadCopy(std::vector<uint8_t> copy, multiproc::RawArray<int64_t> report) {
  uint64_t sum = 0;
  GrowthWhileSumming(copy.data(), copy.size(), sum);
  // The copy arrived through the pipe and sits in this child's own heap, all of it private.
  report[0] = PrivateBytes(copy.data(), copy.size());
  report[1] = static_cast<int64_t>(sum);
}

void ReadShared(multiproc::RawArray<uint8_t> shared, multiproc::RawArray<int64_t> report) {
  uint64_t sum = 0;
  report[0] = GrowthWhileSumming(shared.data(), shared.size(), sum);
  report[1] = static_cast<int64_t>(sum);
}

void Print(const char* what, int64_t growth) {
  if (growth < 0) {
    std::printf("%-46s private memory not measured in this build or platform\n", what);
  } else {
    std::printf("%-46s %6.1f MiB private\n", what, static_cast<double>(growth) / (1 << 20));
  }
}

}  // namespace

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);
  inherited.assign(kBytes, 1);
  multiproc::RawArray<uint8_t> shared(kBytes);
  std::fill(shared.data(), shared.data() + kBytes, uint8_t{1});
  multiproc::RawArray<int64_t> report(2);
  bool failed = false;
  auto check = [&](const char* what, int64_t limit_mib, bool at_most) {
    Print(what, report[0]);
    failed |= report[1] != static_cast<int64_t>(kBytes);
    if (report[0] >= 0) {
      bool within = report[0] <= (limit_mib << 20);
      failed |= at_most ? !within : within;
    }
  };
  for (const std::string& method : multiproc::get_all_start_methods()) {
    multiproc::Context context = multiproc::get_context(method);
    if (method == "fork") {
      multiproc::Process child = context.process(ReadInherited, report);
      child.start();
      child.join();
      check("fork child reads 128 MiB it inherited:", 16, true);
    }
    if (method == "spawn") {
      multiproc::Process child = context.process(ReadCopy, inherited, report);
      child.start();
      child.join();
      check("spawn child holding a sent 128 MiB copy:", 64, false);
    }
    multiproc::Process reader = context.process(ReadShared, shared, report);
    reader.start();
    reader.join();
    std::string label = method + " child reads a shared 128 MiB RawArray:";
    check(label.c_str(), 16, true);
  }
  return failed ? 1 : 0;
}
