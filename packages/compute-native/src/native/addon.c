/*
 * The JavaScript entry points: each reads its arguments with parse_args (args.c), checks the
 * lengths that depend on several of them, and calls one routine (routines.c) or kernel
 * (kernels.c); plus the thread share (threads.c) and the facts about the BLAS.
 */
#include <pthread.h>
#include <stdlib.h>

#include "gnlab.h"

#define ARGS(...)                                                                              \
  if (!parse_args(env, info, __VA_ARGS__)) return NULL
#define NEED(len, count, name)                                                                 \
  if (!need_len(env, len, (size_t)(count), name)) return NULL

/* ---- BLAS / LAPACK (row-major) ------------------------------------------------------------ */

/* dgemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc): C = α op(A) op(B) + β C. */
static napi_value js_dgemm(napi_env env, napi_callback_info info) {
  int ta, tb, m, n, k, lda, ldb, ldc;
  double alpha, beta, *a, *b, *c;
  size_t alen, blen, clen;
  ARGS("ta:i tb:i m:i n:i k:i alpha:d A:F lda:i B:F ldb:i beta:d C:F ldc:i", &ta, &tb, &m, &n, &k, &alpha, &a,
       &alen, &lda, &b, &blen, &ldb, &beta, &c, &clen, &ldc);
  NEED(alen, (size_t)(ta ? k : m) * lda, "A");
  NEED(blen, (size_t)(tb ? n : k) * ldb, "B");
  NEED(clen, (size_t)m * ldc, "C");
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a,
              lda, b, ldb, beta, c, ldc);
  return js_undefined(env);
}

/* dsyrk(upper, trans, n, k, alpha, A, lda, beta, C, ldc): one triangle of C = α op(A) op(A)ᵀ + β C. */
static napi_value js_dsyrk(napi_env env, napi_callback_info info) {
  int upper, trans, n, k, lda, ldc;
  double alpha, beta, *a, *c;
  size_t alen, clen;
  ARGS("upper:i trans:i n:i k:i alpha:d A:F lda:i beta:d C:F ldc:i", &upper, &trans, &n, &k, &alpha, &a, &alen,
       &lda, &beta, &c, &clen, &ldc);
  NEED(alen, (size_t)(trans ? k : n) * lda, "A");
  NEED(clen, (size_t)n * ldc, "C");
  cblas_dsyrk(CblasRowMajor, upper ? CblasUpper : CblasLower, trans ? CblasTrans : CblasNoTrans, n, k, alpha, a,
              lda, beta, c, ldc);
  return js_undefined(env);
}

/* dtrsv(lower, trans, n, T, x): x ← op(T)⁻¹ x for the triangular T in row-major storage. */
static napi_value js_dtrsv(napi_env env, napi_callback_info info) {
  int lower, trans, n;
  double *t, *x;
  ARGS("lower:i trans:i n:i T:F:n*n x:F:n", &lower, &trans, &n, &t, &x);
  cblas_dtrsv(CblasRowMajor, lower ? CblasLower : CblasUpper, trans ? CblasTrans : CblasNoTrans, CblasNonUnit, n,
              t, n, x, 1);
  return js_undefined(env);
}

/* dsymv(n, A, x, y): y = A x reading the lower triangle of the row-major symmetric A. */
static napi_value js_dsymv(napi_env env, napi_callback_info info) {
  int n;
  double *a, *x, *y;
  ARGS("n:i A:F:n*n x:F:n y:F:n", &n, &a, &x, &y);
  cblas_dsymv(CblasRowMajor, CblasLower, n, 1.0, a, n, x, 1, 0.0, y, 1);
  return js_undefined(env);
}

/*
 * potrf(A, n): Cholesky factor in place. Reads the lower triangle of the row-major A, leaves L
 * there and zeros the strict upper triangle. Returns 0, or k > 0 when the leading k×k minor is
 * not positive definite, or −1 when a pivot is not finite (A then holds garbage).
 */
static napi_value js_potrf(napi_env env, napi_callback_info info) {
  int n;
  double *a;
  size_t alen;
  ARGS("A:F n:i", &a, &alen, &n);
  NEED(alen, (size_t)n * n, "A");
  return js_int(env, routine_potrf(a, n));
}

/* potrs(L, n, b): b ← (L Lᵀ)⁻¹ b with the factor from potrf (LAPACK dpotrs, one right-hand side). */
static napi_value js_potrs(napi_env env, napi_callback_info info) {
  int n;
  double *l, *b;
  size_t llen;
  ARGS("L:F n:i b:F:n", &l, &llen, &n, &b);
  NEED(llen, (size_t)n * n, "L");
  return js_int(env, routine_potrs(l, n, b));
}

/*
 * syevd(A, n, w): all eigenvalues (ascending, into w) and eigenvectors of the symmetric row-major
 * A (LAPACK dsyevd, divide and conquer). On return row j of A is the unit eigenvector of w[j]
 * (LAPACK's column-major columns). Returns LAPACK's info.
 */
static napi_value js_syevd(napi_env env, napi_callback_info info) {
  int n;
  double *a, *w;
  size_t alen;
  ARGS("A:F n:i w:F:n", &a, &alen, &n, &w);
  NEED(alen, (size_t)n * n, "A");
  int r = routine_syevd(a, n, w);
  return r == -1000 ? throw_oom(env, "syevd") : js_int(env, r);
}

/* ---- the backend's fused kernels ---------------------------------------------------------- */

/*
 * features(x, n, dim, u, m, silu, phi, psi|null): Z = X̃ Uᵀ into phi (n × m), and with silu = 1 also
 * Φ = silu(Z) into phi and Ψ = silu′(Z) into psi (when given). With silu = 0 phi holds Z and the
 * caller applies its activation.
 */
static napi_value js_features(napi_env env, napi_callback_info info) {
  int n, dim, m, silu;
  double *x, *u, *phi, *psi;
  size_t psilen;
  ARGS("x:F:n*dim n:i dim:i u:F:m*dim m:i silu:i phi:F:n*m psi:F?", &x, &n, &dim, &u, &m, &silu, &phi, &psi, &psilen);
  if (psi != NULL) NEED(psilen, (size_t)n * m, "psi");
  kernel_features(x, n, dim, u, m, silu, phi, psi);
  return js_undefined(env);
}

/* matVec(P, n, m, c, y): y = P c for the row-major P (n × m), in row tiles. */
static napi_value js_matvec(napi_env env, napi_callback_info info) {
  int n, m;
  double *pm, *c, *y;
  ARGS("P:F:n*m n:i m:i c:F:m y:F:n", &pm, &n, &m, &c, &y);
  kernel_matvec(pm, n, m, c, y);
  return js_undefined(env);
}

/* matTVec(P, n, m, z, y): y = Pᵀ z for the row-major P (n × m), in column tiles. */
static napi_value js_mattvec(napi_env env, napi_callback_info info) {
  int n, m;
  double *pm, *z, *y;
  ARGS("P:F:n*m n:i m:i z:F:n y:F:m", &pm, &n, &m, &z, &y);
  kernel_mattvec(pm, n, m, z, y);
  return js_undefined(env);
}

/* psiTX(psi, x, n, m, dim, z, g): G = Ψᵀ diag(z) X̃ (m × dim), i.e. G_i = Σ_a z_a Ψ_ai x̃_a. */
static napi_value js_psitx(napi_env env, napi_callback_info info) {
  int n, m, dim;
  double *psi, *x, *z, *g;
  ARGS("psi:F:n*m x:F:n*dim n:i m:i dim:i z:F:n g:F:m*dim", &psi, &x, &n, &m, &dim, &z, &g);
  return kernel_psitx(psi, x, n, m, dim, z, g) == 0 ? js_undefined(env) : throw_oom(env, "psiTX");
}

/* psiXDir(psi, x, n, m, dim, c, du, h): h_a = Σ_i c_i Ψ_ai (x̃_a · δu_i). */
static napi_value js_psixdir(napi_env env, napi_callback_info info) {
  int n, m, dim;
  double *psi, *x, *c, *du, *h;
  ARGS("psi:F:n*m x:F:n*dim n:i m:i dim:i c:F:m du:F:m*dim h:F:n", &psi, &x, &n, &m, &dim, &c, &du, &h);
  return kernel_psixdir(psi, x, n, m, dim, c, du, h) == 0 ? js_undefined(env) : throw_oom(env, "psiXDir");
}

/*
 * gram(phi, psi, n, m, a, b, k, out, scratch, sq): A = Φ diag(a) Φᵀ + (Ψ diag(b) Ψᵀ) ∘ K (n × n,
 * both triangles written) for a, b ≥ 0 (length m), K = X̃ X̃ᵀ, an n × m scratch and an n × n sq.
 */
static napi_value js_gram(napi_env env, napi_callback_info info) {
  int n, m;
  double *phi, *psi, *wa, *wb, *k, *out, *scratch, *sq;
  ARGS("phi:F:n*m psi:F:n*m n:i m:i a:F:m b:F:m K:F:n*n out:F:n*n scratch:F:n*m sq:F:n*n", &phi, &psi, &n, &m,
       &wa, &wb, &k, &out, &scratch, &sq);
  return kernel_gram(phi, psi, n, m, wa, wb, k, out, scratch, sq) == 0 ? js_undefined(env)
                                                                        : throw_oom(env, "gram");
}

/* siluMatVec(x, n, dim, u, m, c, y): y = silu(X̃ Uᵀ) c without keeping the n × m features. */
static napi_value js_silu_matvec(napi_env env, napi_callback_info info) {
  int n, dim, m;
  double *x, *u, *c, *y;
  ARGS("x:F:n*dim n:i dim:i u:F:m*dim m:i c:F:m y:F:n", &x, &n, &dim, &u, &m, &c, &y);
  return kernel_silu_matvec(x, n, dim, u, m, c, y) == 0 ? js_undefined(env) : throw_oom(env, "siluMatVec");
}

/*
 * gdStep(x, n, dim, u, v, m, omega, metric, z, lr, du, dv, f): one gradient-descent step of the
 * network f = Φ(ω ∘ v) in one pass over blocks of hidden units (gd.c): u (m × dim) and v (m)
 * updated in place, the gradient into du and dv, the new outputs into f (n).
 */
static napi_value js_gd_step(napi_env env, napi_callback_info info) {
  int n, dim, m;
  double lr, *x, *u, *v, *omega, *metric, *z, *du, *dv, *f;
  ARGS("x:F:n*dim n:i dim:i u:F:m*dim v:F:m m:i omega:F:m metric:F:m z:F:n lr:d du:F:m*dim dv:F:m f:F:n", &x, &n,
       &dim, &u, &v, &m, &omega, &metric, &z, &lr, &du, &dv, &f);
  return kernel_gd_step(x, n, dim, u, v, m, omega, metric, z, lr, du, dv, f) == 0 ? js_undefined(env)
                                                                                   : throw_oom(env, "gdStep");
}

/* ---- the thread share and facts ----------------------------------------------------------- */

/* Per JS thread (Node environment): the shares it holds, given back when the thread ends. */
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

/* acquire(): one more share holder in this process (the per-call thread count adapts). */
static napi_value js_acquire(napi_env env, napi_callback_info info) {
  (void)info;
  env_data *d = get_env_data(env);
  if (d != NULL) d->held++;
  atomic_fetch_add(&g_active, 1);
  return js_undefined(env);
}

/* release(): the matching end of acquire() (ignored beyond what this thread acquired). */
static napi_value js_release(napi_env env, napi_callback_info info) {
  (void)info;
  env_data *d = get_env_data(env);
  if (d != NULL && d->held > 0) {
    d->held--;
    atomic_fetch_sub(&g_active, 1);
  }
  return js_undefined(env);
}

/* setMaxThreads(t): the most threads the kernels use in this process (t ≥ 1). */
static napi_value js_set_max_threads(napi_env env, napi_callback_info info) {
  int t;
  ARGS("t:i", &t);
  atomic_store(&g_max_threads, t < 1 ? 1 : (t > MAX_THREADS ? MAX_THREADS : t));
  return js_undefined(env);
}

static void set_prop_int(napi_env env, napi_value obj, const char *key, int v) {
  napi_set_named_property(env, obj, key, js_int(env, v));
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
  set_prop_str(env, obj, "siluExp", silu_exp_name());
  return obj;
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

#define EXPORT(name, fn)                                                                       \
  do {                                                                                         \
    napi_value f;                                                                              \
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);                           \
    napi_set_named_property(env, exports, name, f);                                            \
  } while (0)

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  pthread_once(&g_once, threads_init);
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
  EXPORT("gdStep", js_gd_step);
  EXPORT("acquire", js_acquire);
  EXPORT("release", js_release);
  EXPORT("setMaxThreads", js_set_max_threads);
  EXPORT("threads", js_threads);
  EXPORT("blasInfo", js_blas_info);
  return exports;
}
