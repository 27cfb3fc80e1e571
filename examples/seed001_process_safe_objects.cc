// Seed 001: the process-safe objects, one per family — shared memory (Value, Array), kernel
// objects (Pipe, Queue, JoinableQueue) and manager objects (a dict proxy) — each made in the
// parent, handed to a child, and seen changed by the parent afterwards. An object the child makes
// for itself is not shared.
#include <iostream>

#include "core/multiproc.h"

namespace {

void UseEverything(multiproc::Value<int> value, multiproc::Array<double> array,
                   multiproc::Connection pipe_end, multiproc::Queue<std::string> queue,
                   multiproc::JoinableQueue<int> tasks,
                   multiproc::DictProxy<std::string, int> dict) {
  value.set(42);
  array.set(1, 2.5);
  pipe_end.send(std::string("through the pipe"));
  queue.put("through the queue");
  int task = tasks.get();
  tasks.task_done();
  dict.set("task", task);
  multiproc::Value<int> own(0);  // made here: the parent never sees it
  own.set(7);
}

}  // namespace

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);
  multiproc::Value<int> value(0);
  multiproc::Array<double> array(3);
  auto [parent_end, child_end] = multiproc::Pipe();
  multiproc::Queue<std::string> queue;
  multiproc::JoinableQueue<int> tasks;
  multiproc::SyncManager manager = multiproc::Manager();
  multiproc::DictProxy<std::string, int> dict = manager.dict<std::string, int>();
  tasks.put(99);

  multiproc::Process child(UseEverything, value, array, child_end, queue, tasks, dict);
  child.start();
  child_end.close();
  tasks.join();  // returns once the child called task_done()
  std::string piped = parent_end.recv<std::string>();
  std::string queued = queue.get(true, absl::Seconds(10));
  child.join();

  std::cout << "shared memory:   Value " << value.get() << ", Array[1] " << array.get(1) << "\n";
  std::cout << "kernel objects:  \"" << piped << "\", \"" << queued << "\", task_done seen\n";
  std::cout << "manager objects: dict[\"task\"] = " << dict.get("task") << "\n";
  bool ok = value.get() == 42 && array.get(1) == 2.5 && piped == "through the pipe" &&
            queued == "through the queue" && dict.get("task") == 99 && child.exitcode() == 0;
  return ok ? 0 : 1;
}
