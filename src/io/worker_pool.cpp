#include "io/worker_pool.hpp"

#include <algorithm>

namespace tandem::io {

WorkerPool::WorkerPool(std::size_t worker_threads) {
  threads_.reserve(worker_threads);
  for (std::size_t i = 0; i < worker_threads; ++i) threads_.emplace_back([this] { worker_main(); });
}

std::size_t WorkerPool::default_worker_count() {
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 1 ? hw - 1 : 0;
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::work_chunks() {
  for (;;) {
    const std::size_t i = next_chunk_.fetch_add(1, std::memory_order_relaxed);
    if (i >= chunk_count_) return;
    const std::size_t begin = i * chunk_size_;
    fn_(ctx_, begin, std::min(begin + chunk_size_, count_));
    done_chunks_.fetch_add(1, std::memory_order_release);
  }
}

void WorkerPool::worker_main() {
  std::size_t seen = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    start_cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    // A worker that wakes after the job closed must not touch it: run() may already be
    // resetting the counters for the next one.
    if (!job_open_) continue;
    ++active_;
    lock.unlock();
    work_chunks();
    lock.lock();
    if (--active_ == 0) done_cv_.notify_one();
  }
}

void WorkerPool::run_erased(std::size_t count, std::size_t min_chunk, ChunkFn fn, void* ctx) {
  if (count == 0) return;
  min_chunk = std::max<std::size_t>(min_chunk, 1);
  const std::size_t participants = threads_.size() + 1;
  const std::size_t chunks = std::min(participants, (count + min_chunk - 1) / min_chunk);
  if (chunks <= 1) {
    fn(ctx, 0, count);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    fn_ = fn;
    ctx_ = ctx;
    count_ = count;
    chunk_size_ = std::max((count + chunks - 1) / chunks, min_chunk);
    chunk_count_ = (count + chunk_size_ - 1) / chunk_size_;
    next_chunk_.store(0, std::memory_order_relaxed);
    done_chunks_.store(0, std::memory_order_relaxed);
    job_open_ = true;
    ++generation_;
  }
  start_cv_.notify_all();
  work_chunks();
  std::unique_lock lock(mutex_);
  done_cv_.wait(lock, [&] {
    return active_ == 0 && done_chunks_.load(std::memory_order_acquire) == chunk_count_;
  });
  job_open_ = false;
}

}  // namespace tandem::io
