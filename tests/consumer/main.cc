// Uses an installed multiproc: a message through a pipe and an HMAC over it. Exits 0 only if both
// work, so the consumer test fails if the installed headers, library or dependencies are broken.
#include <iostream>
#include <string>

#include "multiproc/platform/crypto.h"
#include "multiproc/platform/pipe.h"

int main() {
  namespace platform = multiproc::platform;
  absl::StatusOr<platform::PipePair> pipe = platform::CreateDuplexPipe();
  if (!pipe.ok()) {
    std::cerr << pipe.status() << "\n";
    return 1;
  }
  const std::string message = "installed";
  auto bytes =
      absl::MakeConstSpan(reinterpret_cast<const std::byte*>(message.data()), message.size());
  std::string received(message.size(), '\0');
  auto into = absl::MakeSpan(reinterpret_cast<std::byte*>(received.data()), received.size());
  if (!platform::WriteAll(pipe->first.get(), bytes).ok() ||
      !platform::ReadExact(pipe->second.get(), into).ok() || received != message) {
    std::cerr << "pipe round trip failed\n";
    return 1;
  }
  absl::StatusOr<platform::Sha256Digest> mac = platform::HmacSha256(bytes, bytes);
  if (!mac.ok()) {
    std::cerr << mac.status() << "\n";
    return 1;
  }
  std::cout << "consumer: multiproc found and working\n";
  return 0;
}
