/*
 * The gradient-descent step of a one-hidden-layer network in one pass over blocks of hidden units
 * (issue #16): for the network f(x̃) = Σ_i ω_i v_i σ(u_i · x̃) with metric g, and z = ∇_f L =
 * (f − y)/N at the current weights,
 *
 *   δv_i = (ω_i / g_i) Σ_a Φ_ai z_a,   δu_i = (ω_i v_i / g_i) Σ_a z_a Ψ_ai x̃_a,
 *   v_i ← v_i − λ δv_i,   u_i ← u_i − λ δu_i,   f'_a = Σ_i ω_i v'_i σ(u'_i · x̃_a).
 *
 * Each block of UNIT_TILE units computes its pre-activations X̃ U_bᵀ (dgemm), Φ_b and Ψ_b (the
 * vectorised SiLU of kernels.c), both gradients (dgemv, dgemm against W = diag(z) X̃), the update,
 * the new pre-activations and Φ'_b, and its part of f' (dgemv) — all within the block's N × 64
 * scratch, which stays in cache: the N × M features are never written to memory, at the price of
 * evaluating the SiLU twice per step (on the old and the new weights). The blocks' parts of f' are
 * summed in block order at the end, so the result does not depend on the thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "gnlab.h"

#define UNIT_TILE 64

typedef struct {
  const double *x, *w, *omega, *metric, *z;
  double *u, *v, *du, *dv, *parts, *scratch;
  int n, dim, m;
  double lr;
} gd_ctx;

static void gd_tile(void *p, int t, int tid) {
  gd_ctx *c = (gd_ctx *)p;
  int n = c->n, dim = c->dim;
  int i0 = t * UNIT_TILE;
  int b = c->m - i0 < UNIT_TILE ? c->m - i0 : UNIT_TILE;
  double *phi = c->scratch + (size_t)tid * (2 * (size_t)n * UNIT_TILE + UNIT_TILE);
  double *psi = phi + (size_t)n * UNIT_TILE;
  double *cv = psi + (size_t)n * UNIT_TILE;
  double *u = c->u + (size_t)i0 * dim;
  double *du = c->du + (size_t)i0 * dim;
  /* Φ_b, Ψ_b at the current weights (n × b, row stride b) */
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, b, dim, 1.0, c->x, dim, u, dim, 0.0, phi, b);
  silu_block(phi, psi, (size_t)n * b);
  /* Φ_bᵀ z and Ψ_bᵀ W */
  cblas_dgemv(CblasRowMajor, CblasTrans, n, b, 1.0, phi, b, c->z, 1, 0.0, c->dv + i0, 1);
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, b, dim, n, 1.0, psi, b, c->w, dim, 0.0, du, dim);
  /* the metric's scaling and the update (the formulas of jacobianAdjointMul and descend) */
  for (int i = 0; i < b; i++) {
    int ii = i0 + i;
    c->dv[ii] *= c->omega[ii] / c->metric[ii];
    double s = (c->omega[ii] * c->v[ii]) / c->metric[ii];
    for (int j = 0; j < dim; j++) {
      du[(size_t)i * dim + j] *= s;
      u[(size_t)i * dim + j] = u[(size_t)i * dim + j] - c->lr * du[(size_t)i * dim + j];
    }
    c->v[ii] = c->v[ii] - c->lr * c->dv[ii];
    cv[i] = c->omega[ii] * c->v[ii];
  }
  /* Φ'_b at the new weights and its part of f' */
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, b, dim, 1.0, c->x, dim, u, dim, 0.0, phi, b);
  silu_block(phi, NULL, (size_t)n * b);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, n, b, 1.0, phi, b, cv, 1, 0.0, c->parts + (size_t)t * n, 1);
}

int kernel_gd_step(const double *x, int n, int dim, double *u, double *v, int m, const double *omega,
                   const double *metric, const double *z, double lr, double *du, double *dv, double *f) {
  if (n == 0) return 0;
  memset(f, 0, sizeof(double) * n);
  if (m == 0) return 0;
  int tiles = (m + UNIT_TILE - 1) / UNIT_TILE;
  int threads = threads_for((double)n * m * (6.0 * dim + 50));
  if (threads > tiles) threads = tiles;
  double *w = malloc(sizeof(double) * (size_t)n * (dim > 0 ? dim : 1));
  double *parts = malloc(sizeof(double) * (size_t)tiles * n);
  double *scratch = malloc(sizeof(double) * (size_t)threads * (2 * (size_t)n * UNIT_TILE + UNIT_TILE));
  if (w == NULL || parts == NULL || scratch == NULL) {
    free(w);
    free(parts);
    free(scratch);
    return -1;
  }
  /* W = diag(z) X̃ */
  for (int a = 0; a < n; a++)
    for (int k = 0; k < dim; k++) w[(size_t)a * dim + k] = z[a] * x[(size_t)a * dim + k];
  gd_ctx ctx = {x, w, omega, metric, z, u, v, du, dv, parts, scratch, n, dim, m, lr};
  parallel_tiles(tiles, threads, gd_tile, &ctx);
  for (int t = 0; t < tiles; t++) {
    const double *pt = parts + (size_t)t * n;
    for (int a = 0; a < n; a++) f[a] += pt[a];
  }
  free(w);
  free(parts);
  free(scratch);
  return 0;
}
