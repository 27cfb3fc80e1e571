// Windows: no reading ahead. Handles are duplicated into this process by the sender and their
// values travel in the message, so one message at a time is what ReceiveHandleMessage reads.
#include "platform/handle_message_receiver.h"

namespace multiproc::platform {

struct HandleMessageReceiver::State {
  NativeHandle channel;
};

HandleMessageReceiver::HandleMessageReceiver(NativeHandle channel)
    : state_(std::make_unique<State>(State{channel})) {}
HandleMessageReceiver::~HandleMessageReceiver() = default;
HandleMessageReceiver::HandleMessageReceiver(HandleMessageReceiver&&) noexcept = default;
HandleMessageReceiver& HandleMessageReceiver::operator=(HandleMessageReceiver&&) noexcept = default;

absl::StatusOr<HandleMessage> HandleMessageReceiver::Receive() {
  return ReceiveHandleMessage(state_->channel);
}

bool HandleMessageReceiver::HasBufferedMessage() const { return false; }

}  // namespace multiproc::platform
