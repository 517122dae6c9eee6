/* The addon's own threads: fixed tiles, taken in order by whichever thread is free. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "gnlab.h"

atomic_int g_max_threads = 1;
atomic_int g_active = 0;

int call_threads(void) {
  int max = atomic_load(&g_max_threads);
  int active = atomic_load(&g_active);
  int t = active > 1 ? max / active : max;
  return t < 1 ? 1 : t;
}

typedef struct {
  atomic_int next;
  int ntiles;
  tile_fn fn;
  void *ctx;
} job_t;

typedef struct {
  job_t *job;
  int tid;
} worker_arg_t;

static void run_tiles(job_t *job, int tid) {
  for (;;) {
    int t = atomic_fetch_add(&job->next, 1);
    if (t >= job->ntiles) return;
    job->fn(job->ctx, t, tid);
  }
}

static void *worker_main(void *p) {
  worker_arg_t *a = (worker_arg_t *)p;
  run_tiles(a->job, a->tid);
  return NULL;
}

/*
 * Run fn(ctx, tile, tid) for tile = 0 .. ntiles−1 on up to `threads` threads (the caller is
 * thread 0), tiles taken in order from a shared counter. Which thread runs a tile never
 * changes what the tile computes. `threads` ≤ 1, or one tile, runs everything here.
 */
void parallel_tiles(int ntiles, int threads, tile_fn fn, void *ctx) {
  job_t job;
  atomic_init(&job.next, 0);
  job.ntiles = ntiles;
  job.fn = fn;
  job.ctx = ctx;
  if (threads > ntiles) threads = ntiles;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  pthread_t th[MAX_THREADS];
  worker_arg_t args[MAX_THREADS];
  int started = 0;
  for (int i = 1; i < threads; i++) {
    args[i].job = &job;
    args[i].tid = i;
    if (pthread_create(&th[i], NULL, worker_main, &args[i]) != 0) break;
    started = i;
  }
  run_tiles(&job, 0);
  for (int i = 1; i <= started; i++) pthread_join(th[i], NULL);
}

/* Below ~4 Mflop a thread costs more than it saves. Never changes results (tiles are fixed). */
int threads_for(double work) {
  if (work < 4e6) return 1;
  return call_threads();
}

void threads_init(void) {
#ifndef GNLAB_ACCELERATE
  /* one BLAS thread: parallelism (deterministic) is this module's own */
  openblas_set_num_threads(1);
#endif
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  const char *env_t = getenv("GNLAB_THREADS");
  int t = cores > 0 ? (int)cores : 1;
  if (env_t != NULL && atoi(env_t) > 0) t = atoi(env_t);
  atomic_store(&g_max_threads, t > MAX_THREADS ? MAX_THREADS : t);
}
