#include "core/starting_child.h"

namespace multiproc::internal {
namespace {

thread_local bool starting_a_child = false;

}  // namespace

StartingChild::StartingChild() : enclosing_(starting_a_child) { starting_a_child = true; }

StartingChild::~StartingChild() { starting_a_child = enclosing_; }

bool StartingChild::InProgress() { return starting_a_child; }

}  // namespace multiproc::internal
