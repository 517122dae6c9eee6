/* Reading a call's arguments: the one helper every entry point of addon.c uses. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gnlab.h"

#define MAX_ARGS 16
#define MAX_NAME 24

static void type_error(napi_env env, const char *name, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "gnlab_native: %s must be %s", name, what);
  napi_throw_type_error(env, NULL, msg);
}

int need_len(napi_env env, size_t have, size_t need, const char *name) {
  if (have < need) {
    char msg[160];
    snprintf(msg, sizeof msg, "gnlab_native: %s has %zu entries, needs %zu", name, have, need);
    napi_throw_range_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

/* The Float64Array v: its data and length; with allow_null, null/undefined gives NULL, 0. */
static int read_f64(napi_env env, napi_value v, double **data, size_t *len, int allow_null, const char *name) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (allow_null && (t == napi_null || t == napi_undefined)) {
    *data = NULL;
    *len = 0;
    return 1;
  }
  bool is_ta = false;
  napi_typedarray_type type;
  void *p;
  napi_value ab;
  size_t off;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, len, &p, &ab, &off) != napi_ok || type != napi_float64_array) {
    type_error(env, name, "a Float64Array");
    return 0;
  }
  *data = (double *)p;
  return 1;
}

typedef struct {
  char name[MAX_NAME];
  size_t value;
} named_int;

/* The product of the integers named in "a*b*c" (each read earlier in the same spec). */
static int product_of(const char *expr, size_t len, const named_int *ints, int nints, size_t *out) {
  size_t prod = 1;
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    while (j < len && expr[j] != '*') j++;
    int found = 0;
    for (int q = 0; q < nints; q++)
      if (strlen(ints[q].name) == j - i && strncmp(ints[q].name, expr + i, j - i) == 0) {
        prod *= ints[q].value;
        found = 1;
        break;
      }
    if (!found) return 0;
    i = j + 1;
  }
  *out = prod;
  return 1;
}

/*
 * One pass over the spec: pass 0 reads the numbers (so that array extents may name integers that
 * come after the array), pass 1 the arrays. Every item consumes its pointers in both passes.
 */
static int walk(napi_env env, napi_value *argv, size_t argc, const char *spec, va_list *ap, int pass,
                named_int *ints, int *nints) {
  size_t idx = 0;
  const char *p = spec;
  for (;;) {
    while (*p == ' ') p++;
    if (*p == '\0') return 1;
    /* "name:type[:extent]" up to the next space */
    const char *colon = strchr(p, ':');
    const char *end = strchr(p, ' ');
    if (end == NULL) end = p + strlen(p);
    if (colon == NULL || colon > end) {
      napi_throw_error(env, NULL, "gnlab_native: bad argument spec");
      return 0;
    }
    char name[MAX_NAME];
    size_t nlen = (size_t)(colon - p) < MAX_NAME - 1 ? (size_t)(colon - p) : MAX_NAME - 1;
    memcpy(name, p, nlen);
    name[nlen] = '\0';
    const char *type = colon + 1;
    if (idx >= argc) {
      napi_throw_type_error(env, NULL, "gnlab_native: too few arguments");
      return 0;
    }
    napi_value v = argv[idx++];
    if (*type == 'i') {
      int *out = va_arg(*ap, int *);
      if (pass == 0) {
        int32_t x;
        if (napi_get_value_int32(env, v, &x) != napi_ok || x < 0) {
          type_error(env, name, "a non-negative integer");
          return 0;
        }
        *out = x;
        if (*nints < MAX_ARGS) {
          memcpy(ints[*nints].name, name, nlen + 1);
          ints[(*nints)++].value = (size_t)x;
        }
      }
    } else if (*type == 'd') {
      double *out = va_arg(*ap, double *);
      if (pass == 0 && napi_get_value_double(env, v, out) != napi_ok) {
        type_error(env, name, "a number");
        return 0;
      }
    } else if (*type == 'F' && type[1] == ':') {
      double **data = va_arg(*ap, double **);
      if (pass == 1) {
        size_t need = 0, len = 0;
        if (!product_of(type + 2, (size_t)(end - type - 2), ints, *nints, &need)) {
          napi_throw_error(env, NULL, "gnlab_native: bad argument spec");
          return 0;
        }
        if (!read_f64(env, v, data, &len, 0, name) || !need_len(env, len, need, name)) return 0;
      }
    } else if (*type == 'F') {
      double **data = va_arg(*ap, double **);
      size_t *len = va_arg(*ap, size_t *);
      if (pass == 1 && !read_f64(env, v, data, len, type[1] == '?', name)) return 0;
    } else {
      napi_throw_error(env, NULL, "gnlab_native: bad argument spec");
      return 0;
    }
    p = end;
  }
}

int parse_args(napi_env env, napi_callback_info info, const char *spec, ...) {
  napi_value argv[MAX_ARGS];
  size_t argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "gnlab_native: Node-API call failed: napi_get_cb_info");
    return 0;
  }
  named_int ints[MAX_ARGS];
  int nints = 0;
  va_list ap, numbers;
  va_start(ap, spec);
  va_copy(numbers, ap);
  int ok = walk(env, argv, argc, spec, &numbers, 0, ints, &nints) && walk(env, argv, argc, spec, &ap, 1, ints, &nints);
  va_end(numbers);
  va_end(ap);
  return ok;
}

napi_value js_undefined(napi_env env) {
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

napi_value js_int(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

napi_value throw_oom(napi_env env, const char *where) {
  char msg[160];
  snprintf(msg, sizeof msg, "gnlab_native: out of memory in %s", where);
  napi_throw_error(env, NULL, msg);
  return NULL;
}
