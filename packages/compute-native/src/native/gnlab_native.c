/*
 * gnlab_native: the BLAS/LAPACK kernels of gnlab's CPU backend as a Node-API addon.
 *
 * Every array argument is a Float64Array whose memory is used in place (no copies): the
 * typed array's data pointer is handed to CBLAS / LAPACK. Matrices are row-major, as
 * everywhere in gnlab; LAPACK (column-major) sees the transpose, so a row-major lower
 * triangle is LAPACK's upper triangle ('U').
 *
 * Threads and reproducibility. OpenBLAS's own threading is switched off (one BLAS thread):
 * with two threads its GEMM/SYRK results differ in the last bits from one thread, which would
 * make a run's trajectory depend on how many threads it got. Instead the heavy kernels below
 * (Gram assembly, features, matrix-vector products, the blocked Cholesky) cut their work into
 * tiles whose boundaries depend only on the problem size, each tile computed by one
 * single-threaded BLAS call; the tiles are shared among this module's own threads. So the
 * result is bit-for-bit the same whatever the thread count, and the thread count can adapt
 * to how many computations run concurrently in the process (see `acquire`).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef GNLAB_ACCELERATE
/* macOS: CBLAS from Accelerate (vecLib); LAPACK through the prototypes below */
#include <vecLib/cblas.h>
#else
#include <cblas.h>
extern void openblas_set_num_threads(int);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);
#endif

/* LAPACK, Fortran interface (column-major, arguments by reference). */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
                    double *b, const int *ldb, int *info);
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);

/* ------------------------------------------------------------------------------------------ */
/* threads                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* The most threads gnlab's kernels use in this process (GNLAB_THREADS, else the core count). */
static atomic_int g_max_threads = 1;
/* Computations (bound data sets) alive in this process, over all worker threads. */
static atomic_int g_active = 0;

/* Threads one call may use: the maximum shared among the live computations. */
static int call_threads(void) {
  int max = atomic_load(&g_max_threads);
  int active = atomic_load(&g_active);
  int t = active > 1 ? max / active : max;
  return t < 1 ? 1 : t;
}

typedef void (*tile_fn)(void *ctx, int tile, int tid);

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

#define MAX_THREADS 64

/*
 * Run fn(ctx, tile, tid) for tile = 0 .. ntiles−1 on up to `threads` threads (the caller is
 * thread 0), tiles taken in order from a shared counter. Which thread runs a tile never
 * changes what the tile computes. `threads` ≤ 1, or one tile, runs everything here.
 */
static void parallel_tiles(int ntiles, int threads, tile_fn fn, void *ctx) {
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

/* Threads worth using for `work` floating-point operations: below ~4 Mflop a thread costs more
 * than it saves. Never changes results (tiles are fixed), only speed. */
static int threads_for(double work) {
  if (work < 4e6) return 1;
  return call_threads();
}

/* ------------------------------------------------------------------------------------------ */
/* Node-API helpers                                                                             */
/* ------------------------------------------------------------------------------------------ */

#define CHECK(call)                                                                            \
  do {                                                                                         \
    if ((call) != napi_ok) {                                                                   \
      napi_throw_error(env, NULL, "gnlab_native: Node-API call failed: " #call);              \
      return NULL;                                                                             \
    }                                                                                          \
  } while (0)

/* Float64Array argument i: its data pointer (may be NULL when null/undefined and allow_null). */
static int arg_f64(napi_env env, napi_value v, double **data, size_t *len, int allow_null,
                   const char *name) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (allow_null && (t == napi_null || t == napi_undefined)) {
    *data = NULL;
    *len = 0;
    return 1;
  }
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (!is_ta) {
    char msg[128];
    snprintf(msg, sizeof msg, "gnlab_native: %s must be a Float64Array", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  napi_typedarray_type type;
  void *p;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, &p, &ab, &off) != napi_ok ||
      type != napi_float64_array) {
    char msg[128];
    snprintf(msg, sizeof msg, "gnlab_native: %s must be a Float64Array", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  *data = (double *)p;
  return 1;
}

static int arg_int(napi_env env, napi_value v, int *out, const char *name) {
  int32_t x;
  if (napi_get_value_int32(env, v, &x) != napi_ok || x < 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "gnlab_native: %s must be a non-negative integer", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  *out = x;
  return 1;
}

static int arg_double(napi_env env, napi_value v, double *out, const char *name) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "gnlab_native: %s must be a number", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

/* Throws unless an array holds at least `need` entries. */
static int need_len(napi_env env, size_t have, size_t need, const char *name) {
  if (have < need) {
    char msg[160];
    snprintf(msg, sizeof msg, "gnlab_native: %s has %zu entries, needs %zu", name, have, need);
    napi_throw_range_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

#define GET_ARGS(count)                                                                        \
  size_t argc = (count);                                                                       \
  napi_value argv[(count) > 0 ? (count) : 1];                                                  \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));                                 \
  if (argc < (count)) {                                                                        \
    napi_throw_type_error(env, NULL, "gnlab_native: too few arguments");                      \
    return NULL;                                                                               \
  }

#define F64(i, ptr, len, name)                                                                 \
  double *ptr;                                                                                 \
  size_t len;                                                                                  \
  if (!arg_f64(env, argv[i], &ptr, &len, 0, name)) return NULL;
#define F64_OPT(i, ptr, len, name)                                                             \
  double *ptr;                                                                                 \
  size_t len;                                                                                  \
  if (!arg_f64(env, argv[i], &ptr, &len, 1, name)) return NULL;
#define INT(i, var)                                                                            \
  int var;                                                                                     \
  if (!arg_int(env, argv[i], &var, #var)) return NULL;
#define DBL(i, var)                                                                            \
  double var;                                                                                  \
  if (!arg_double(env, argv[i], &var, #var)) return NULL;
#define NEED(len, count, name)                                                                 \
  if (!need_len(env, len, (size_t)(count), name)) return NULL;

static napi_value make_int(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static napi_value undefined(napi_env env) {
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* plain BLAS / LAPACK (row-major)                                                              */
/* ------------------------------------------------------------------------------------------ */

/* dgemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc): C = α op(A) op(B) + β C. */
static napi_value js_dgemm(napi_env env, napi_callback_info info) {
  GET_ARGS(13);
  INT(0, ta);
  INT(1, tb);
  INT(2, m);
  INT(3, n);
  INT(4, k);
  DBL(5, alpha);
  F64(6, a, alen, "A");
  INT(7, lda);
  F64(8, b, blen, "B");
  INT(9, ldb);
  DBL(10, beta);
  F64(11, c, clen, "C");
  INT(12, ldc);
  NEED(alen, (size_t)(ta ? k : m) * lda, "A");
  NEED(blen, (size_t)(tb ? n : k) * ldb, "B");
  NEED(clen, (size_t)m * ldc, "C");
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
              alpha, a, lda, b, ldb, beta, c, ldc);
  return undefined(env);
}

/* dsyrk(upper, trans, n, k, alpha, A, lda, beta, C, ldc): one triangle of C = α op(A) op(A)ᵀ + β C. */
static napi_value js_dsyrk(napi_env env, napi_callback_info info) {
  GET_ARGS(10);
  INT(0, upper);
  INT(1, trans);
  INT(2, n);
  INT(3, k);
  DBL(4, alpha);
  F64(5, a, alen, "A");
  INT(6, lda);
  DBL(7, beta);
  F64(8, c, clen, "C");
  INT(9, ldc);
  NEED(alen, (size_t)(trans ? k : n) * lda, "A");
  NEED(clen, (size_t)n * ldc, "C");
  cblas_dsyrk(CblasRowMajor, upper ? CblasUpper : CblasLower, trans ? CblasTrans : CblasNoTrans, n, k,
              alpha, a, lda, beta, c, ldc);
  return undefined(env);
}

/* dtrsv(lower, trans, n, L, x): x ← op(T)⁻¹ x for the triangular T in row-major storage. */
static napi_value js_dtrsv(napi_env env, napi_callback_info info) {
  GET_ARGS(5);
  INT(0, lower);
  INT(1, trans);
  INT(2, n);
  F64(3, t, tlen, "T");
  F64(4, x, xlen, "x");
  NEED(tlen, (size_t)n * n, "T");
  NEED(xlen, n, "x");
  cblas_dtrsv(CblasRowMajor, lower ? CblasLower : CblasUpper, trans ? CblasTrans : CblasNoTrans,
              CblasNonUnit, n, t, n, x, 1);
  return undefined(env);
}

/* dsymv(n, A, x, y): y = A x reading the lower triangle of the row-major symmetric A. */
static napi_value js_dsymv(napi_env env, napi_callback_info info) {
  GET_ARGS(4);
  INT(0, n);
  F64(1, a, alen, "A");
  F64(2, x, xlen, "x");
  F64(3, y, ylen, "y");
  NEED(alen, (size_t)n * n, "A");
  NEED(xlen, n, "x");
  NEED(ylen, n, "y");
  cblas_dsymv(CblasRowMajor, CblasLower, n, 1.0, a, n, x, 1, 0.0, y, 1);
  return undefined(env);
}

/*
 * Blocked right-looking Cholesky of the row-major lower triangle, in place: A = L Lᵀ.
 * For each block column [k, k+nb): L_kk = chol(A_kk) (LAPACK dpotrf); the panel below,
 * L_ik = A_ik L_kk⁻ᵀ (dtrsm); the trailing update A_ij −= L_ik L_jkᵀ (j ≤ i). The panel and the
 * update are each cut in two fixed parts that two threads run side by side: the panel's rows in
 * halves; the trailing triangle at row mid = r0 + (n − r0)/√2, which halves its area (rows above
 * mid: one dsyrk; rows below: a dgemm left of mid and a dsyrk right of it). Every BLAS call is
 * single-threaded and the parts depend only on n, so the factor is the same for any thread
 * count. Returns LAPACK's info (0, or the failing pivot's index + 1).
 */
#define CHOL_NB 128

typedef struct {
  double *a;
  int n, k, kb, r0, split;
} chol_ctx;

/* part t of the panel: rows [r0, split) or [split, n) of L_ik = A_ik L_kk⁻ᵀ */
static void chol_panel_part(void *p, int t, int tid) {
  (void)tid;
  chol_ctx *c = (chol_ctx *)p;
  int i0 = t == 0 ? c->r0 : c->split;
  int i1 = t == 0 ? c->split : c->n;
  if (i1 <= i0) return;
  cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, i1 - i0, c->kb, 1.0,
              c->a + (size_t)c->k * c->n + c->k, c->n, c->a + (size_t)i0 * c->n + c->k, c->n);
}

/* part t of the trailing update A_ij −= L_ik L_jkᵀ: rows [r0, split) or [split, n) */
static void chol_update_part(void *p, int t, int tid) {
  (void)tid;
  chol_ctx *c = (chol_ctx *)p;
  int n = c->n, k = c->k, kb = c->kb, r0 = c->r0, mid = c->split;
  double *a = c->a;
  if (t == 0) {
    if (mid > r0)
      cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, mid - r0, kb, -1.0, a + (size_t)r0 * n + k, n, 1.0,
                  a + (size_t)r0 * n + r0, n);
    return;
  }
  if (mid >= n) return;
  if (mid > r0)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n - mid, mid - r0, kb, -1.0, a + (size_t)mid * n + k, n,
                a + (size_t)r0 * n + k, n, 1.0, a + (size_t)mid * n + r0, n);
  cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, n - mid, kb, -1.0, a + (size_t)mid * n + k, n, 1.0,
              a + (size_t)mid * n + mid, n);
}

static int blocked_cholesky(double *a, int n) {
  for (int k = 0; k < n; k += CHOL_NB) {
    int kb = n - k < CHOL_NB ? n - k : CHOL_NB;
    int info = 0;
    /* row-major lower block = column-major upper block */
    dpotrf_("U", &kb, a + (size_t)k * n + k, &n, &info);
    if (info != 0) return k + info;
    int r0 = k + kb;
    if (r0 >= n) break;
    double rest = (double)(n - r0);
    chol_ctx c = {a, n, k, kb, r0, r0 + (n - r0) / 2};
    parallel_tiles(2, threads_for(rest * kb * kb), chol_panel_part, &c);
    c.split = r0 + (int)(rest * 0.70710678118654752);
    parallel_tiles(2, threads_for(rest * rest * kb), chol_update_part, &c);
  }
  return 0;
}

/*
 * potrf(A, n): Cholesky factor in place. Reads the lower triangle of the row-major A, leaves L
 * there and zeros the strict upper triangle. Returns 0, or k > 0 when the leading k×k minor is
 * not positive definite, or −1 when a pivot is not finite (A then holds garbage).
 */
static napi_value js_potrf(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  F64(0, a, alen, "A");
  INT(1, n);
  NEED(alen, (size_t)n * n, "A");
  int r = blocked_cholesky(a, n);
  if (r == 0) {
    for (int i = 0; i < n; i++) {
      double d = a[(size_t)i * n + i];
      if (!(d > 0) || !isfinite(d)) {
        r = -1;
        break;
      }
    }
  }
  if (r == 0)
    for (int i = 0; i < n; i++) memset(a + (size_t)i * n + i + 1, 0, sizeof(double) * (n - 1 - i));
  return make_int(env, r);
}

/* potrs(L, n, b): b ← (L Lᵀ)⁻¹ b with the factor from potrf (LAPACK dpotrs, one right-hand side). */
static napi_value js_potrs(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  F64(0, l, llen, "L");
  INT(1, n);
  F64(2, b, blen, "b");
  NEED(llen, (size_t)n * n, "L");
  NEED(blen, n, "b");
  if (n == 0) return make_int(env, 0);
  int one = 1, inf = 0;
  dpotrs_("U", &n, &one, l, &n, b, &n, &inf);
  return make_int(env, inf);
}

/*
 * syevd(A, n, w): all eigenvalues (ascending, into w) and eigenvectors of the symmetric row-major
 * A (LAPACK dsyevd, divide and conquer). On return row j of A is the unit eigenvector of w[j]
 * (LAPACK's column-major columns). Returns LAPACK's info.
 */
static napi_value js_syevd(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  F64(0, a, alen, "A");
  INT(1, n);
  F64(2, w, wlen, "w");
  NEED(alen, (size_t)n * n, "A");
  NEED(wlen, n, "w");
  if (n == 0) return make_int(env, 0);
  int lwork = -1, liwork = -1, inf = 0, iw = 0;
  double wq = 0;
  dsyevd_("V", "U", &n, a, &n, w, &wq, &lwork, &iw, &liwork, &inf);
  if (inf != 0) return make_int(env, inf);
  lwork = (int)wq;
  liwork = iw;
  double *work = malloc(sizeof(double) * (size_t)lwork);
  int *iwork = malloc(sizeof(int) * (size_t)liwork);
  if (work == NULL || iwork == NULL) {
    free(work);
    free(iwork);
    napi_throw_error(env, NULL, "gnlab_native: out of memory in syevd");
    return NULL;
  }
  dsyevd_("V", "U", &n, a, &n, w, work, &lwork, iwork, &liwork, &inf);
  free(work);
  free(iwork);
  return make_int(env, inf);
}

/* ------------------------------------------------------------------------------------------ */
/* the CPU backend's fused kernels                                                              */
/* ------------------------------------------------------------------------------------------ */

/* Rows of a feature / matrix-vector tile, columns of a transposed-product tile. */
#define ROW_TILE 64
#define COL_TILE 512

/*
 * e^x for the SiLU kernel, written so that the compiler vectorizes the loops that call it (the C
 * library's exp is a call per entry, ~5–10 ns; this is ~1 ns on AVX-512):
 *   x = n ln2 + r with n = round(x / ln2), |r| ≤ ln2/2 (Cody–Waite: ln2 = hi + lo, hi with a short
 *   mantissa so n·hi is exact), e^r by its Taylor polynomial to degree 13 (remainder
 *   ≤ 0.347¹⁴/14! ≈ 4e−18, under half an ulp), and 2ⁿ assembled in the exponent bits.
 * x is clamped to [−708, 708] (2ⁿ stays a normal number): e^−708 ≈ 3e−308, which in the SiLU
 * formulas below is as good as 0, and e^708 ≈ 3e307 as good as ∞. NaN stays NaN. The result is
 * within ~1 ulp of e^x; multiplications and additions are not fused (-ffp-contract=off), so every
 * CPU gives the same bits.
 */
static inline double exp_clamped(double x) {
  const double log2e = 1.4426950408889634;
  const double ln2_hi = 6.93147180369123816490e-01;
  const double ln2_lo = 1.90821492927058770002e-10;
  const double shift = 6755399441055744.0; /* 1.5 · 2⁵², rounds x/ln2 to an integer */
  x = x > 708.0 ? 708.0 : x;
  x = x < -708.0 ? -708.0 : x;
  double kd = x * log2e + shift;
  double nk = kd - shift;
  double r = (x - nk * ln2_hi) - nk * ln2_lo;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  /* kd's low mantissa bits hold n: 2ⁿ has exponent bits n + 1023 */
  int64_t ki;
  memcpy(&ki, &kd, sizeof ki);
  uint64_t bits = (uint64_t)(ki - INT64_C(0x4338000000000000) + 1023) << 52;
  double scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/*
 * In place over count entries: z → Φ = silu(z) = z s, and Ψ = silu′(z) = s + Φ (1 − s) when psi is
 * given, s = 1 / (1 + e^−z) (the TypeScript kernel's formulas). Compiled for AVX-512, AVX2 and
 * the baseline, picked at load time by the CPU (the same bits on each).
 */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void silu_block(double *phi, double *psi,
                                                                                     size_t count) {
  if (psi != NULL) {
    for (size_t j = 0; j < count; j++) {
      double z = phi[j];
      double s = 1.0 / (1.0 + exp_clamped(-z));
      double f = z * s;
      phi[j] = f;
      psi[j] = s + f * (1.0 - s);
    }
  } else {
    for (size_t j = 0; j < count; j++) {
      double z = phi[j];
      phi[j] = z * (1.0 / (1.0 + exp_clamped(-z)));
    }
  }
}

typedef struct {
  const double *x, *u;
  double *phi, *psi;
  int n, dim, m, silu;
} feat_ctx;

/*
 * Rows [64t, 64t + 64) of Z = X̃ Uᵀ (dgemm), then for SiLU Φ and Ψ in place (silu_block; its
 * exp differs from V8's Math.exp by rounding, so Φ and Ψ can differ from the TypeScript kernel's
 * in the last bits).
 */
static void feat_tile(void *p, int t, int tid) {
  (void)tid;
  feat_ctx *c = (feat_ctx *)p;
  int r0 = t * ROW_TILE;
  int rows = c->n - r0 < ROW_TILE ? c->n - r0 : ROW_TILE;
  double *phi = c->phi + (size_t)r0 * c->m;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, c->m, c->dim, 1.0, c->x + (size_t)r0 * c->dim,
              c->dim, c->u, c->dim, 0.0, phi, c->m);
  if (!c->silu) return;
  silu_block(phi, c->psi != NULL ? c->psi + (size_t)r0 * c->m : NULL, (size_t)rows * c->m);
}

/*
 * features(x, n, dim, u, m, silu, phi, psi|null): Z = X̃ Uᵀ into phi (n × m), and with silu = 1 also
 * Φ = silu(Z) into phi and Ψ = silu′(Z) into psi (when given). With silu = 0 phi holds Z and the
 * caller applies its activation.
 */
static napi_value js_features(napi_env env, napi_callback_info info) {
  GET_ARGS(8);
  F64(0, x, xlen, "x");
  INT(1, n);
  INT(2, dim);
  F64(3, u, ulen, "u");
  INT(4, m);
  INT(5, silu);
  F64(6, phi, philen, "phi");
  F64_OPT(7, psi, psilen, "psi");
  NEED(xlen, (size_t)n * dim, "x");
  NEED(ulen, (size_t)m * dim, "u");
  NEED(philen, (size_t)n * m, "phi");
  if (psi != NULL) NEED(psilen, (size_t)n * m, "psi");
  if (n == 0 || m == 0) return undefined(env);
  feat_ctx c = {x, u, phi, psi, n, dim, m, silu};
  parallel_tiles((n + ROW_TILE - 1) / ROW_TILE, threads_for((double)n * m * (2.0 * dim + 20)), feat_tile, &c);
  return undefined(env);
}

typedef struct {
  const double *p, *c;
  double *y;
  int n, m;
} mv_ctx;

static void matvec_tile(void *p, int t, int tid) {
  (void)tid;
  mv_ctx *c = (mv_ctx *)p;
  int r0 = t * ROW_TILE;
  int rows = c->n - r0 < ROW_TILE ? c->n - r0 : ROW_TILE;
  cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, c->m, 1.0, c->p + (size_t)r0 * c->m, c->m, c->c, 1, 0.0,
              c->y + r0, 1);
}

/* matVec(P, n, m, c, y): y = P c for the row-major P (n × m), in row tiles. */
static napi_value js_matvec(napi_env env, napi_callback_info info) {
  GET_ARGS(5);
  F64(0, pm, plen, "P");
  INT(1, n);
  INT(2, m);
  F64(3, c, clen, "c");
  F64(4, y, ylen, "y");
  NEED(plen, (size_t)n * m, "P");
  NEED(clen, m, "c");
  NEED(ylen, n, "y");
  if (n == 0) return undefined(env);
  if (m == 0) {
    memset(y, 0, sizeof(double) * n);
    return undefined(env);
  }
  mv_ctx ctx = {pm, c, y, n, m};
  parallel_tiles((n + ROW_TILE - 1) / ROW_TILE, threads_for(2.0 * n * m), matvec_tile, &ctx);
  return undefined(env);
}

static void mattvec_tile(void *p, int t, int tid) {
  (void)tid;
  mv_ctx *c = (mv_ctx *)p;
  int c0 = t * COL_TILE;
  int cols = c->m - c0 < COL_TILE ? c->m - c0 : COL_TILE;
  cblas_dgemv(CblasRowMajor, CblasTrans, c->n, cols, 1.0, c->p + c0, c->m, c->c, 1, 0.0, c->y + c0, 1);
}

/* matTVec(P, n, m, z, y): y = Pᵀ z for the row-major P (n × m), in column tiles. */
static napi_value js_mattvec(napi_env env, napi_callback_info info) {
  GET_ARGS(5);
  F64(0, pm, plen, "P");
  INT(1, n);
  INT(2, m);
  F64(3, z, zlen, "z");
  F64(4, y, ylen, "y");
  NEED(plen, (size_t)n * m, "P");
  NEED(zlen, n, "z");
  NEED(ylen, m, "y");
  if (m == 0) return undefined(env);
  if (n == 0) {
    memset(y, 0, sizeof(double) * m);
    return undefined(env);
  }
  mv_ctx ctx = {pm, z, y, n, m};
  parallel_tiles((m + COL_TILE - 1) / COL_TILE, threads_for(2.0 * n * m), mattvec_tile, &ctx);
  return undefined(env);
}

typedef struct {
  const double *psi, *w;
  double *g;
  int n, m, dim;
} ptx_ctx;

static void psitx_tile(void *p, int t, int tid) {
  (void)tid;
  ptx_ctx *c = (ptx_ctx *)p;
  int c0 = t * COL_TILE;
  int cols = c->m - c0 < COL_TILE ? c->m - c0 : COL_TILE;
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cols, c->dim, c->n, 1.0, c->psi + c0, c->m, c->w,
              c->dim, 0.0, c->g + (size_t)c0 * c->dim, c->dim);
}

/*
 * psiTX(psi, x, n, m, dim, z, g): G = Ψᵀ diag(z) X̃ (m × dim), i.e. G_i = Σ_a z_a Ψ_ai x̃_a:
 * W = diag(z) X̃ once, then G = Ψᵀ W in column tiles of Ψ.
 */
static napi_value js_psitx(napi_env env, napi_callback_info info) {
  GET_ARGS(7);
  F64(0, psi, psilen, "psi");
  F64(1, x, xlen, "x");
  INT(2, n);
  INT(3, m);
  INT(4, dim);
  F64(5, z, zlen, "z");
  F64(6, g, glen, "g");
  NEED(psilen, (size_t)n * m, "psi");
  NEED(xlen, (size_t)n * dim, "x");
  NEED(zlen, n, "z");
  NEED(glen, (size_t)m * dim, "g");
  if (m == 0 || dim == 0) return undefined(env);
  if (n == 0) {
    memset(g, 0, sizeof(double) * (size_t)m * dim);
    return undefined(env);
  }
  double *w = malloc(sizeof(double) * (size_t)n * dim);
  if (w == NULL) {
    napi_throw_error(env, NULL, "gnlab_native: out of memory in psiTX");
    return NULL;
  }
  for (int a = 0; a < n; a++)
    for (int k = 0; k < dim; k++) w[(size_t)a * dim + k] = z[a] * x[(size_t)a * dim + k];
  ptx_ctx ctx = {psi, w, g, n, m, dim};
  parallel_tiles((m + COL_TILE - 1) / COL_TILE, threads_for(2.0 * n * m * dim), psitx_tile, &ctx);
  free(w);
  return undefined(env);
}

typedef struct {
  const double *psi, *x, *c, *du;
  double *h, *scratch;
  int n, m, dim;
} pxd_ctx;

static void psixdir_tile(void *p, int t, int tid) {
  pxd_ctx *c = (pxd_ctx *)p;
  int r0 = t * ROW_TILE;
  int rows = c->n - r0 < ROW_TILE ? c->n - r0 : ROW_TILE;
  double *d = c->scratch + (size_t)tid * ROW_TILE * c->m;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, c->m, c->dim, 1.0, c->x + (size_t)r0 * c->dim,
              c->dim, c->du, c->dim, 0.0, d, c->m);
  for (int r = 0; r < rows; r++) {
    const double *ps = c->psi + (size_t)(r0 + r) * c->m;
    const double *dr = d + (size_t)r * c->m;
    double s = 0;
    for (int i = 0; i < c->m; i++) s += c->c[i] * ps[i] * dr[i];
    c->h[r0 + r] = s;
  }
}

/* psiXDir(psi, x, n, m, dim, c, du, h): h_a = Σ_i c_i Ψ_ai (x̃_a · δu_i), with X̃ δUᵀ by row tiles. */
static napi_value js_psixdir(napi_env env, napi_callback_info info) {
  GET_ARGS(8);
  F64(0, psi, psilen, "psi");
  F64(1, x, xlen, "x");
  INT(2, n);
  INT(3, m);
  INT(4, dim);
  F64(5, c, clen, "c");
  F64(6, du, dulen, "du");
  F64(7, h, hlen, "h");
  NEED(psilen, (size_t)n * m, "psi");
  NEED(xlen, (size_t)n * dim, "x");
  NEED(clen, m, "c");
  NEED(dulen, (size_t)m * dim, "du");
  NEED(hlen, n, "h");
  if (n == 0) return undefined(env);
  int tiles = (n + ROW_TILE - 1) / ROW_TILE;
  int threads = threads_for(2.0 * n * m * (dim + 2));
  if (threads > tiles) threads = tiles;
  double *scratch = malloc(sizeof(double) * (size_t)threads * ROW_TILE * (m > 0 ? m : 1));
  if (scratch == NULL) {
    napi_throw_error(env, NULL, "gnlab_native: out of memory in psiXDir");
    return NULL;
  }
  pxd_ctx ctx = {psi, x, c, du, h, scratch, n, m, dim};
  parallel_tiles(tiles, threads, psixdir_tile, &ctx);
  free(scratch);
  return undefined(env);
}

typedef struct {
  const double *src, *scale;
  double *dst;
  int n, m;
} scale_ctx;

/* rows of dst = src diag(scale) */
static void scale_tile(void *p, int t, int tid) {
  (void)tid;
  scale_ctx *c = (scale_ctx *)p;
  int r0 = t * ROW_TILE;
  int rows = c->n - r0 < ROW_TILE ? c->n - r0 : ROW_TILE;
  for (int r = r0; r < r0 + rows; r++) {
    const double *s = c->src + (size_t)r * c->m;
    double *d = c->dst + (size_t)r * c->m;
    for (int i = 0; i < c->m; i++) d[i] = s[i] * c->scale[i];
  }
}

typedef struct {
  double *c;
  int n;
} mirror_ctx;

/* C[q][p] = C[p][q] for q > p, in 64 × 64 blocks (block row t of the lower triangle). */
static void mirror_tile(void *p, int t, int tid) {
  (void)tid;
  mirror_ctx *c = (mirror_ctx *)p;
  int n = c->n;
  int q0 = t * ROW_TILE;
  int q1 = q0 + ROW_TILE < n ? q0 + ROW_TILE : n;
  for (int p0 = 0; p0 <= q0; p0 += ROW_TILE) {
    int p1 = p0 + ROW_TILE < n ? p0 + ROW_TILE : n;
    for (int q = q0; q < q1; q++)
      for (int pp = p0; pp < p1 && pp < q; pp++) c->c[(size_t)q * n + pp] = c->c[(size_t)pp * n + q];
  }
}

/*
 * C = α S Sᵀ (upper triangle, S n × m, C row stride ldc) as two tasks of equal work, h = ⌊n/2⌋:
 *   task 0: the diagonal blocks — dsyrk on rows [0, h) and dsyrk on rows [h, n);
 *   task 1: the block right of the first — C[0:h, h:n] = α S[0:h] S[h:n]ᵀ (dgemm).
 * Each holds n²m/2 multiply-adds, so two threads share the product evenly, and each call is big
 * enough to run at the BLAS kernel's speed (cutting the rows in many tiles instead makes every
 * tile's dgemm pack the rows below it again: ~10–25% slower here). The split depends on n only,
 * so the result is the same for any thread count.
 */
typedef struct {
  const double *s;
  double *c;
  int n, m, h;
  double alpha;
} prod_ctx;

static void prod_task(void *p, int t, int tid) {
  (void)tid;
  prod_ctx *c = (prod_ctx *)p;
  int n = c->n, m = c->m, h = c->h;
  if (t == 0) {
    if (h > 0) cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, h, m, c->alpha, c->s, m, 0.0, c->c, n);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n - h, m, c->alpha, c->s + (size_t)h * m, m, 0.0,
                c->c + (size_t)h * n + h, n);
  } else if (h > 0) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, h, n - h, m, c->alpha, c->s, m, c->s + (size_t)h * m, m,
                0.0, c->c + h, n);
  }
}

typedef struct {
  double *out;
  const double *t, *k;
  int n;
} hadamard_ctx;

/* rows [64t, 64t + 64) of the upper triangle: out += T ∘ K */
static void hadamard_tile(void *p, int t, int tid) {
  (void)tid;
  hadamard_ctx *c = (hadamard_ctx *)p;
  int n = c->n;
  int r0 = t * ROW_TILE;
  int r1 = r0 + ROW_TILE < n ? r0 + ROW_TILE : n;
  for (int r = r0; r < r1; r++) {
    double *o = c->out + (size_t)r * n;
    const double *a = c->t + (size_t)r * n;
    const double *kr = c->k + (size_t)r * n;
    for (int q = r; q < n; q++) o[q] += a[q] * kr[q];
  }
}

/* Whether every entry of w equals w[0]. */
static int constant(const double *w, int m) {
  for (int i = 1; i < m; i++)
    if (w[i] != w[0]) return 0;
  return 1;
}

/*
 * gram(phi, psi, n, m, a, b, k, out, scratch, sq):
 *   A = Φ diag(a) Φᵀ + (Ψ diag(b) Ψᵀ) ∘ K   (n × n, both triangles written)
 * for a, b ≥ 0 (length m), K = X̃ X̃ᵀ (n × n), an n × m scratch and an n × n scratch sq. Each
 * product is α S Sᵀ in the two tasks of prod_task: S = P diag(√w), α = 1 in general, and S = P,
 * α = w₀ when w is constant (the finite-width network's a = 1/M²: no scaled copy). The first goes
 * to out, the second to sq and then out += sq ∘ K; the lower triangle is mirrored from the upper.
 * The Ψ part is skipped when b = 0. The result never depends on the thread count.
 */
static napi_value js_gram(napi_env env, napi_callback_info info) {
  GET_ARGS(10);
  F64(0, phi, philen, "phi");
  F64(1, psi, psilen, "psi");
  INT(2, n);
  INT(3, m);
  F64(4, wa, walen, "a");
  F64(5, wb, wblen, "b");
  F64(6, k, klen, "K");
  F64(7, out, outlen, "out");
  F64(8, scratch, scrlen, "scratch");
  F64(9, sq, sqlen, "sq");
  NEED(philen, (size_t)n * m, "phi");
  NEED(psilen, (size_t)n * m, "psi");
  NEED(walen, m, "a");
  NEED(wblen, m, "b");
  NEED(klen, (size_t)n * n, "K");
  NEED(outlen, (size_t)n * n, "out");
  NEED(scrlen, (size_t)n * m, "scratch");
  NEED(sqlen, (size_t)n * n, "sq");
  if (n == 0) return undefined(env);
  if (m == 0) {
    memset(out, 0, sizeof(double) * (size_t)n * n);
    return undefined(env);
  }
  int rtiles = (n + ROW_TILE - 1) / ROW_TILE;
  int threads = threads_for((double)n * n * m);
  double *root = malloc(sizeof(double) * (size_t)m);
  if (root == NULL) {
    napi_throw_error(env, NULL, "gnlab_native: out of memory in gram");
    return NULL;
  }
  for (int part = 0; part < 2; part++) {
    const double *pm = part == 0 ? phi : psi;
    const double *w = part == 0 ? wa : wb;
    if (part == 1) {
      int any = 0;
      for (int i = 0; i < m; i++)
        if (w[i] != 0) {
          any = 1;
          break;
        }
      if (!any) break;
    }
    const double *s = pm;
    double alpha = w[0];
    if (!constant(w, m)) {
      for (int i = 0; i < m; i++) root[i] = sqrt(w[i]);
      scale_ctx sc = {pm, root, scratch, n, m};
      parallel_tiles(rtiles, threads_for((double)n * m), scale_tile, &sc);
      s = scratch;
      alpha = 1.0;
    }
    prod_ctx pc = {s, part == 0 ? out : sq, n, m, n / 2, alpha};
    parallel_tiles(2, threads, prod_task, &pc);
    if (part == 1) {
      hadamard_ctx hc = {out, sq, k, n};
      parallel_tiles(rtiles, threads_for((double)n * n), hadamard_tile, &hc);
    }
  }
  free(root);
  mirror_ctx mc = {out, n};
  parallel_tiles(rtiles, threads_for((double)n * n), mirror_tile, &mc);
  return undefined(env);
}

typedef struct {
  const double *x, *u, *c;
  double *y, *scratch;
  int n, dim, m;
} fmv_ctx;

static void fmv_tile(void *p, int t, int tid) {
  fmv_ctx *c = (fmv_ctx *)p;
  int r0 = t * ROW_TILE;
  int rows = c->n - r0 < ROW_TILE ? c->n - r0 : ROW_TILE;
  double *phi = c->scratch + (size_t)tid * ROW_TILE * c->m;
  feat_ctx f = {c->x + (size_t)r0 * c->dim, c->u, phi, NULL, rows, c->dim, c->m, 1};
  feat_tile(&f, 0, 0);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, c->m, 1.0, phi, c->m, c->c, 1, 0.0, c->y + r0, 1);
}

/* silu network output y = silu(X̃ Uᵀ) c (n), in row tiles without keeping the n × m features. */
static napi_value js_silu_matvec(napi_env env, napi_callback_info info) {
  GET_ARGS(7);
  F64(0, x, xlen, "x");
  INT(1, n);
  INT(2, dim);
  F64(3, u, ulen, "u");
  INT(4, m);
  F64(5, c, clen, "c");
  F64(6, y, ylen, "y");
  NEED(xlen, (size_t)n * dim, "x");
  NEED(ulen, (size_t)m * dim, "u");
  NEED(clen, m, "c");
  NEED(ylen, n, "y");
  if (n == 0) return undefined(env);
  if (m == 0) {
    memset(y, 0, sizeof(double) * n);
    return undefined(env);
  }
  int tiles = (n + ROW_TILE - 1) / ROW_TILE;
  int threads = threads_for((double)n * m * (2.0 * dim + 22));
  if (threads > tiles) threads = tiles;
  double *scratch = malloc(sizeof(double) * (size_t)threads * ROW_TILE * m);
  if (scratch == NULL) {
    napi_throw_error(env, NULL, "gnlab_native: out of memory in siluMatVec");
    return NULL;
  }
  fmv_ctx ctx = {x, u, c, y, scratch, n, dim, m};
  parallel_tiles(tiles, threads, fmv_tile, &ctx);
  free(scratch);
  return undefined(env);
}

/* ------------------------------------------------------------------------------------------ */
/* thread control and facts                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Per-thread (per Node environment) count of live computations, released when the thread ends. */
typedef struct {
  int held;
} env_data;

static void env_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  env_data *d = (env_data *)data;
  if (d->held > 0) atomic_fetch_sub(&g_active, d->held);
  free(d);
}

static env_data *get_env_data(napi_env env) {
  void *d = NULL;
  napi_get_instance_data(env, &d);
  return (env_data *)d;
}

/* acquire(): one more live computation in this process (the thread count adapts). */
static napi_value js_acquire(napi_env env, napi_callback_info info) {
  (void)info;
  env_data *d = get_env_data(env);
  if (d != NULL) d->held++;
  atomic_fetch_add(&g_active, 1);
  return undefined(env);
}

/* release(): the matching end of acquire() (ignored beyond what this thread acquired). */
static napi_value js_release(napi_env env, napi_callback_info info) {
  (void)info;
  env_data *d = get_env_data(env);
  if (d != NULL && d->held > 0) {
    d->held--;
    atomic_fetch_sub(&g_active, 1);
  }
  return undefined(env);
}

/* setMaxThreads(t): the most threads gnlab's kernels use in this process (t ≥ 1). */
static napi_value js_set_max_threads(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  INT(0, t);
  atomic_store(&g_max_threads, t < 1 ? 1 : (t > MAX_THREADS ? MAX_THREADS : t));
  return undefined(env);
}

static napi_value set_prop_int(napi_env env, napi_value obj, const char *key, int v) {
  napi_value val;
  napi_create_int32(env, v, &val);
  napi_set_named_property(env, obj, key, val);
  return obj;
}

static void set_prop_str(napi_env env, napi_value obj, const char *key, const char *v) {
  napi_value val;
  napi_create_string_utf8(env, v == NULL ? "" : v, NAPI_AUTO_LENGTH, &val);
  napi_set_named_property(env, obj, key, val);
}

/* threads(): { max, active, perCall } */
static napi_value js_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj;
  napi_create_object(env, &obj);
  set_prop_int(env, obj, "max", atomic_load(&g_max_threads));
  set_prop_int(env, obj, "active", atomic_load(&g_active));
  set_prop_int(env, obj, "perCall", call_threads());
  return obj;
}

/* blasInfo(): { library, config, core } */
static napi_value js_blas_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj;
  napi_create_object(env, &obj);
#ifdef GNLAB_ACCELERATE
  set_prop_str(env, obj, "library", "accelerate");
  set_prop_str(env, obj, "config", "Apple Accelerate");
  set_prop_str(env, obj, "core", "");
#else
  set_prop_str(env, obj, "library", "openblas");
  set_prop_str(env, obj, "config", openblas_get_config());
  set_prop_str(env, obj, "core", openblas_get_corename());
#endif
  return obj;
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void global_init(void) {
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

#define EXPORT(name, fn)                                                                       \
  do {                                                                                         \
    napi_value f;                                                                              \
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);                           \
    napi_set_named_property(env, exports, name, f);                                            \
  } while (0)

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  pthread_once(&g_once, global_init);
  env_data *d = calloc(1, sizeof(env_data));
  if (d != NULL) napi_set_instance_data(env, d, env_finalize, NULL);
  EXPORT("dgemm", js_dgemm);
  EXPORT("dsyrk", js_dsyrk);
  EXPORT("dtrsv", js_dtrsv);
  EXPORT("dsymv", js_dsymv);
  EXPORT("potrf", js_potrf);
  EXPORT("potrs", js_potrs);
  EXPORT("syevd", js_syevd);
  EXPORT("features", js_features);
  EXPORT("matVec", js_matvec);
  EXPORT("matTVec", js_mattvec);
  EXPORT("psiTX", js_psitx);
  EXPORT("psiXDir", js_psixdir);
  EXPORT("gram", js_gram);
  EXPORT("siluMatVec", js_silu_matvec);
  EXPORT("acquire", js_acquire);
  EXPORT("release", js_release);
  EXPORT("setMaxThreads", js_set_max_threads);
  EXPORT("threads", js_threads);
  EXPORT("blasInfo", js_blas_info);
  return exports;
}
