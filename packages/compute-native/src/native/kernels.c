/*
 * The CPU backend's fused kernels: features with SiLU, the Jacobian products and the Gram (NTK)
 * assembly, each cut in tiles fixed by the problem size (so the same bits for any thread count),
 * each tile one single-threaded BLAS call plus the loops around it.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gnlab.h"

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
 * given, s = 1 / (1 + e^−z) (the TypeScript kernel's formulas), with the polynomial exp above.
 * Compiled for AVX-512, AVX2 and the baseline, picked at load time by the CPU (the same bits on
 * each). The fallback of silu_block where SLEEF is not linked or the CPU lacks AVX2 + FMA.
 */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void silu_poly(double *phi, double *psi,
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

#ifdef GNLAB_SLEEF
#include <immintrin.h>
/*
 * SLEEF's vector exp (libsleef, 1-ulp functions; Debian's libsleef-dev): ≈ 0.8 ns per SiLU
 * evaluation with AVX-512 where the polynomial above takes ≈ 1.6 ns, its FMA-based polynomial
 * being shorter (measured in cache on this machine's Xeon; docs/performance.md). sleef.h declares
 * the AVX2 / AVX-512 functions only when the whole file is compiled for them; these loops are
 * compiled for them one by one, so the two are declared here.
 */
__m512d Sleef_expd8_u10avx512f(__m512d);
__m256d Sleef_expd4_u10avx2(__m256d);

/* The same formulas as silu_poly, 8 entries at a time; the tail goes through a padded vector so
 * every entry gets the same arithmetic whatever its position (bits independent of tiling). The
 * argument is clamped to [−708, 708] as in exp_clamped. */
__attribute__((target("avx512f"))) static void silu_sleef8(double *phi, double *psi, size_t count) {
  const __m512d one = _mm512_set1_pd(1.0), lo = _mm512_set1_pd(-708.0), hi = _mm512_set1_pd(708.0);
  for (size_t j = 0; j < count; j += 8) {
    size_t k = count - j < 8 ? count - j : 8;
    double tail[8] = {0, 0, 0, 0, 0, 0, 0, 0}, tailPsi[8];
    double *in = k == 8 ? phi + j : tail;
    if (k < 8) memcpy(tail, phi + j, k * sizeof(double));
    __m512d z = _mm512_loadu_pd(in);
    __m512d x = _mm512_min_pd(_mm512_max_pd(_mm512_sub_pd(_mm512_setzero_pd(), z), lo), hi);
    __m512d s = _mm512_div_pd(one, _mm512_add_pd(one, Sleef_expd8_u10avx512f(x)));
    __m512d f = _mm512_mul_pd(z, s);
    _mm512_storeu_pd(in, f);
    if (psi != NULL) {
      __m512d g = _mm512_add_pd(s, _mm512_mul_pd(f, _mm512_sub_pd(one, s)));
      _mm512_storeu_pd(k == 8 ? psi + j : tailPsi, g);
      if (k < 8) memcpy(psi + j, tailPsi, k * sizeof(double));
    }
    if (k < 8) memcpy(phi + j, tail, k * sizeof(double));
  }
}

/* silu_sleef8 with AVX2 + FMA, 4 entries at a time. */
__attribute__((target("avx2,fma"))) static void silu_sleef4(double *phi, double *psi, size_t count) {
  const __m256d one = _mm256_set1_pd(1.0), lo = _mm256_set1_pd(-708.0), hi = _mm256_set1_pd(708.0);
  for (size_t j = 0; j < count; j += 4) {
    size_t k = count - j < 4 ? count - j : 4;
    double tail[4] = {0, 0, 0, 0}, tailPsi[4];
    double *in = k == 4 ? phi + j : tail;
    if (k < 4) memcpy(tail, phi + j, k * sizeof(double));
    __m256d z = _mm256_loadu_pd(in);
    __m256d x = _mm256_min_pd(_mm256_max_pd(_mm256_sub_pd(_mm256_setzero_pd(), z), lo), hi);
    __m256d s = _mm256_div_pd(one, _mm256_add_pd(one, Sleef_expd4_u10avx2(x)));
    __m256d f = _mm256_mul_pd(z, s);
    _mm256_storeu_pd(in, f);
    if (psi != NULL) {
      __m256d g = _mm256_add_pd(s, _mm256_mul_pd(f, _mm256_sub_pd(one, s)));
      _mm256_storeu_pd(k == 4 ? psi + j : tailPsi, g);
      if (k < 4) memcpy(psi + j, tailPsi, k * sizeof(double));
    }
    if (k < 4) memcpy(phi + j, tail, k * sizeof(double));
  }
}
#endif

/* Which exp silu_block uses on this CPU (for blasInfo: reported by gnlab backends and the bench). */
const char *silu_exp_name(void) {
#ifdef GNLAB_SLEEF
  if (__builtin_cpu_supports("avx512f")) return "SLEEF expd8_u10avx512f";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "SLEEF expd4_u10avx2";
#endif
  return "polynomial (kernels.c)";
}

/*
 * In place over count entries: z → Φ = silu(z), and Ψ = silu′(z) when psi is given. SLEEF's exp
 * where it is linked and the CPU has AVX2 + FMA, else the polynomial one. The choice depends on
 * the CPU only, so results are the same bits for any thread count on one machine (not across
 * CPUs with different vector units).
 */
void silu_block(double *phi, double *psi, size_t count) {
#ifdef GNLAB_SLEEF
  if (__builtin_cpu_supports("avx512f")) return silu_sleef8(phi, psi, count);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return silu_sleef4(phi, psi, count);
#endif
  silu_poly(phi, psi, count);
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
void kernel_features(const double *x, int n, int dim, const double *u, int m, int silu, double *phi,
                     double *psi) {
  if (n == 0 || m == 0) return;
  feat_ctx c = {x, u, phi, psi, n, dim, m, silu};
  parallel_tiles((n + ROW_TILE - 1) / ROW_TILE, threads_for((double)n * m * (2.0 * dim + 20)), feat_tile, &c);
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
void kernel_matvec(const double *pm, int n, int m, const double *c, double *y) {
  if (n == 0) return;
  if (m == 0) {
    memset(y, 0, sizeof(double) * n);
    return;
  }
  mv_ctx ctx = {pm, c, y, n, m};
  parallel_tiles((n + ROW_TILE - 1) / ROW_TILE, threads_for(2.0 * n * m), matvec_tile, &ctx);
}


static void mattvec_tile(void *p, int t, int tid) {
  (void)tid;
  mv_ctx *c = (mv_ctx *)p;
  int c0 = t * COL_TILE;
  int cols = c->m - c0 < COL_TILE ? c->m - c0 : COL_TILE;
  cblas_dgemv(CblasRowMajor, CblasTrans, c->n, cols, 1.0, c->p + c0, c->m, c->c, 1, 0.0, c->y + c0, 1);
}

/* matTVec(P, n, m, z, y): y = Pᵀ z for the row-major P (n × m), in column tiles. */
void kernel_mattvec(const double *pm, int n, int m, const double *z, double *y) {
  if (m == 0) return;
  if (n == 0) {
    memset(y, 0, sizeof(double) * m);
    return;
  }
  mv_ctx ctx = {pm, z, y, n, m};
  parallel_tiles((m + COL_TILE - 1) / COL_TILE, threads_for(2.0 * n * m), mattvec_tile, &ctx);
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
int kernel_psitx(const double *psi, const double *x, int n, int m, int dim, const double *z, double *g) {
  if (m == 0 || dim == 0) return 0;
  if (n == 0) {
    memset(g, 0, sizeof(double) * (size_t)m * dim);
    return 0;
  }
  double *w = malloc(sizeof(double) * (size_t)n * dim);
  if (w == NULL) return -1;
  for (int a = 0; a < n; a++)
    for (int k = 0; k < dim; k++) w[(size_t)a * dim + k] = z[a] * x[(size_t)a * dim + k];
  ptx_ctx ctx = {psi, w, g, n, m, dim};
  parallel_tiles((m + COL_TILE - 1) / COL_TILE, threads_for(2.0 * n * m * dim), psitx_tile, &ctx);
  free(w);
  return 0;
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
int kernel_psixdir(const double *psi, const double *x, int n, int m, int dim, const double *c,
                   const double *du, double *h) {
  if (n == 0) return 0;
  int tiles = (n + ROW_TILE - 1) / ROW_TILE;
  int threads = threads_for(2.0 * n * m * (dim + 2));
  if (threads > tiles) threads = tiles;
  double *scratch = malloc(sizeof(double) * (size_t)threads * ROW_TILE * (m > 0 ? m : 1));
  if (scratch == NULL) return -1;
  pxd_ctx ctx = {psi, x, c, du, h, scratch, n, m, dim};
  parallel_tiles(tiles, threads, psixdir_tile, &ctx);
  free(scratch);
  return 0;
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
int kernel_gram(const double *phi, const double *psi, int n, int m, const double *wa, const double *wb,
                const double *k, double *out, double *scratch, double *sq) {
  if (n == 0) return 0;
  if (m == 0) {
    memset(out, 0, sizeof(double) * (size_t)n * n);
    return 0;
  }
  int rtiles = (n + ROW_TILE - 1) / ROW_TILE;
  int threads = threads_for((double)n * n * m);
  double *root = malloc(sizeof(double) * (size_t)m);
  if (root == NULL) return -1;
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
  return 0;
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
int kernel_silu_matvec(const double *x, int n, int dim, const double *u, int m, const double *c, double *y) {
  if (n == 0) return 0;
  if (m == 0) {
    memset(y, 0, sizeof(double) * n);
    return 0;
  }
  int tiles = (n + ROW_TILE - 1) / ROW_TILE;
  int threads = threads_for((double)n * m * (2.0 * dim + 22));
  if (threads > tiles) threads = tiles;
  double *scratch = malloc(sizeof(double) * (size_t)threads * ROW_TILE * m);
  if (scratch == NULL) return -1;
  fmv_ctx ctx = {x, u, c, y, scratch, n, dim, m};
  parallel_tiles(tiles, threads, fmv_tile, &ctx);
  free(scratch);
  return 0;
}


