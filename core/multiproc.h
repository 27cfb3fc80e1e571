// multiproc: Python's multiprocessing model for C++. Include this one header for the whole API.
//
//   #include "multiproc/core/multiproc.h"
//
//   void Greet(std::string who) { std::cout << "hello " << who << "\n"; }
//
//   int main(int argc, char** argv) {
//     multiproc::main_guard(argc, argv);  // first statement: spawned children start here
//     multiproc::Process child(Greet, std::string("from a child"));
//     child.start();
//     child.join();
//     return *child.exitcode();
//   }
#ifndef MULTIPROC_CORE_MULTIPROC_H_
#define MULTIPROC_CORE_MULTIPROC_H_

#include "core/barrier.h"
#include "core/condition.h"
#include "core/connection.h"
#include "core/context.h"
#include "core/current_process.h"
#include "core/errors.h"
#include "core/event.h"
#include "core/listener.h"
#include "core/main_guard.h"
#include "core/manager.h"
#include "core/pool.h"
#include "core/process.h"
#include "core/queues.h"
#include "core/shareable_list.h"
#include "core/shared_memory.h"
#include "core/sharedctypes.h"
#include "core/start_method.h"
#include "core/synchronize.h"

#endif  // MULTIPROC_CORE_MULTIPROC_H_
