/*
 * gnlab_native: the CPU backend's native engine as a Node-API addon over the system's BLAS and
 * LAPACK. The sources, by concern:
 *
 *   args.c      reading a call's arguments (one helper, `parse_args`, used by every entry point)
 *   threads.c   the addon's own threads: tiles fixed by the problem size, shared among threads
 *   routines.c  BLAS/LAPACK-level routines (blocked Cholesky, solves, eigendecomposition)
 *   kernels.c   the backend's fused kernels (features with SiLU, Jacobian products, the Gram/NTK)
 *   addon.c     the JavaScript entry points: arguments in, one routine or kernel, result out
 *
 * Every array argument is a Float64Array whose memory is used in place (no copies). Matrices are
 * row-major, as everywhere in gnlab; LAPACK (column-major) sees the transpose, so a row-major lower
 * triangle is LAPACK's upper triangle ('U').
 *
 * Threads and reproducibility. OpenBLAS's own threading is switched off (one BLAS thread): with
 * two threads its GEMM/SYRK results differ in the last bits from one thread, which would make a
 * run's trajectory depend on how many threads it got. Instead the heavy kernels cut their work
 * into tiles whose boundaries depend only on the problem size, each tile computed by one
 * single-threaded BLAS call; the tiles are shared among the addon's own threads. So the result is
 * bit-for-bit the same whatever the thread count, and the thread count can adapt to how many
 * computations run concurrently in the process (`acquire`).
 */
#ifndef GNLAB_H
#define GNLAB_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdatomic.h>
#include <stddef.h>

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
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork,
                    int *info);

/* ---- threads.c ---------------------------------------------------------------------------- */

#define MAX_THREADS 64

/* The most threads the kernels use in this process (GNLAB_THREADS, else the core count). */
extern atomic_int g_max_threads;
/* Holders of a thread share (open engines, bindings) in this process, over all JS threads. */
extern atomic_int g_active;

typedef void (*tile_fn)(void *ctx, int tile, int tid);

/* Threads one call may use: the maximum shared among the holders of a share. */
int call_threads(void);
/* Run fn(ctx, tile, tid) for every tile on up to `threads` threads (the caller is thread 0). */
void parallel_tiles(int ntiles, int threads, tile_fn fn, void *ctx);
/* Threads worth using for `work` floating-point operations (never changes results). */
int threads_for(double work);
/* The process-wide setup: one BLAS thread, the thread maximum from GNLAB_THREADS or the cores. */
void threads_init(void);

/* ---- args.c ------------------------------------------------------------------------------- */

/*
 * Read the call's arguments by a spec of space-separated "name:type" items, one per argument, in
 * order, each followed in the variadic list by where to store it:
 *   i   a non-negative integer          int *
 *   d   a number                        double *
 *   F   a Float64Array                  double **data, size_t *length
 *   F?  a Float64Array, null or undefined (data NULL, length 0)
 *   F:n a Float64Array with at least n entries, n an integer argument's name or a product of
 *       them ("F:n*m"): double **data (its length is checked, not returned)
 * The numbers are read first, then the arrays, so an extent may name a later argument. Throws a
 * JavaScript TypeError / RangeError naming the argument and returns 0 when one does not fit;
 * returns 1 otherwise.
 */
int parse_args(napi_env env, napi_callback_info info, const char *spec, ...);
/* Throws a RangeError unless `have` ≥ `need` entries; returns whether it did not throw. */
int need_len(napi_env env, size_t have, size_t need, const char *name);
napi_value js_undefined(napi_env env);
napi_value js_int(napi_env env, int v);
/* Throws "gnlab_native: out of memory in <where>" and returns NULL. */
napi_value throw_oom(napi_env env, const char *where);

/* ---- routines.c --------------------------------------------------------------------------- */

/* In-place Cholesky of the row-major lower triangle (blocked, tiles shared among threads); zeroes
 * the strict upper triangle. 0, or k > 0 (leading minor k not PD), or −1 (a non-finite pivot). */
int routine_potrf(double *a, int n);
/* b ← (L Lᵀ)⁻¹ b (LAPACK dpotrs, one right-hand side); LAPACK's info. */
int routine_potrs(const double *l, int n, double *b);
/* Eigenpairs of the symmetric row-major a (dsyevd): values ascending into w, row j of a the
 * eigenvector of w[j]. LAPACK's info, or −1000 when out of memory. */
int routine_syevd(double *a, int n, double *w);

/* ---- kernels.c ---------------------------------------------------------------------------- */

/* Z = X̃ Uᵀ into phi (n × m); with silu, Φ = silu(Z) there and Ψ = silu′(Z) into psi (if not NULL). */
void kernel_features(const double *x, int n, int dim, const double *u, int m, int silu, double *phi,
                     double *psi);
/* y = P c (P n × m). */
void kernel_matvec(const double *p, int n, int m, const double *c, double *y);
/* y = Pᵀ z (P n × m). */
void kernel_mattvec(const double *p, int n, int m, const double *z, double *y);
/* G = Ψᵀ diag(z) X̃ (m × dim); −1 when out of memory. */
int kernel_psitx(const double *psi, const double *x, int n, int m, int dim, const double *z, double *g);
/* h_a = Σ_i c_i Ψ_ai (x̃_a · δu_i); −1 when out of memory. */
int kernel_psixdir(const double *psi, const double *x, int n, int m, int dim, const double *c,
                   const double *du, double *h);
/* A = Φ diag(a) Φᵀ + (Ψ diag(b) Ψᵀ) ∘ K into out (both triangles); −1 when out of memory. */
int kernel_gram(const double *phi, const double *psi, int n, int m, const double *wa, const double *wb,
                const double *k, double *out, double *scratch, double *sq);
/* y = silu(X̃ Uᵀ) c without keeping the n × m features; −1 when out of memory. */
int kernel_silu_matvec(const double *x, int n, int dim, const double *u, int m, const double *c, double *y);

/* In place over count entries: z → silu(z), and silu′(z) into psi when not NULL (one exp each). */
void silu_block(double *phi, double *psi, size_t count);
/* The exp silu_block uses on this CPU ("SLEEF expd8_u10avx512f", …, "polynomial (kernels.c)"). */
const char *silu_exp_name(void);

/* ---- gd.c --------------------------------------------------------------------------------- */

/*
 * One gradient-descent step over blocks of hidden units (see gd.c); −1 when out of memory.
 * u (m × dim) and v (m) are updated in place; du, dv receive the gradient; f the new outputs.
 */
int kernel_gd_step(const double *x, int n, int dim, double *u, double *v, int m, const double *omega,
                   const double *metric, const double *z, double lr, double *du, double *dv, double *f);

#endif
