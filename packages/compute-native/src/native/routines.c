/* BLAS/LAPACK-level routines of the host linear algebra (row-major, in place). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnlab.h"

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

int routine_potrf(double *a, int n) {
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
  return r;
}

int routine_potrs(const double *l, int n, double *b) {
  if (n == 0) return 0;
  int one = 1, inf = 0;
  dpotrs_("U", &n, &one, l, &n, b, &n, &inf);
  return inf;
}

int routine_syevd(double *a, int n, double *w) {
  if (n == 0) return 0;
  int lwork = -1, liwork = -1, inf = 0, iw = 0;
  double wq = 0;
  dsyevd_("V", "U", &n, a, &n, w, &wq, &lwork, &iw, &liwork, &inf);
  if (inf != 0) return inf;
  lwork = (int)wq;
  liwork = iw;
  double *work = malloc(sizeof(double) * (size_t)lwork);
  int *iwork = malloc(sizeof(int) * (size_t)liwork);
  if (work == NULL || iwork == NULL) {
    free(work);
    free(iwork);
    return -1000;
  }
  dsyevd_("V", "U", &n, a, &n, w, work, &lwork, iwork, &liwork, &inf);
  free(work);
  free(iwork);
  return inf;
}
