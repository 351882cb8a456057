// A fixed set of worker threads that split one batch's work by index range: the daemon spreads
// AEAD over all cores this way while each packet keeps its slot, so packet order is unchanged.
// run() blocks until every chunk is done and the calling thread works too. No allocation per run.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace tandem::io {

class WorkerPool {
 public:
  // `worker_threads` besides the caller; 0 makes run() a plain loop on the calling thread.
  explicit WorkerPool(std::size_t worker_threads);
  // One worker per hardware thread, minus the caller.
  static std::size_t default_worker_count();
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  std::size_t worker_count() const { return threads_.size(); }

  // Calls fn(begin, end) over disjoint ranges covering [0, count), each at least `min_chunk`
  // long (except the last), on the workers and the caller; returns when all have finished.
  // One run at a time: run() must not be called concurrently or from inside `fn`.
  template <typename F>
  void run(std::size_t count, F&& fn, std::size_t min_chunk = 1) {
    using Fn = std::remove_reference_t<F>;
    run_erased(
        count, min_chunk,
        [](void* ctx, std::size_t b, std::size_t e) { (*static_cast<Fn*>(ctx))(b, e); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  using ChunkFn = void (*)(void* ctx, std::size_t begin, std::size_t end);

  void run_erased(std::size_t count, std::size_t min_chunk, ChunkFn fn, void* ctx);
  void worker_main();
  void work_chunks();

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  // The current job; written by run() under the mutex while no worker is inside it.
  ChunkFn fn_ = nullptr;
  void* ctx_ = nullptr;
  std::size_t count_ = 0;
  std::size_t chunk_size_ = 0;
  std::size_t chunk_count_ = 0;
  std::atomic<std::size_t> next_chunk_{0};
  std::atomic<std::size_t> done_chunks_{0};
  std::size_t generation_ = 0;
  bool job_open_ = false;   // workers may join only while set
  std::size_t active_ = 0;  // workers inside the current job
  bool stopping_ = false;
};

}  // namespace tandem::io
