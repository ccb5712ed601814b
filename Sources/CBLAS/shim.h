#include <cblas.h>

/* OpenBLAS is opened at run time (see BLASRuntime), so the program names the types of the
   functions it looks up rather than linking against them. */
typedef __typeof__(cblas_sgemm) *cblas_sgemm_function;
typedef __typeof__(cblas_dgemm) *cblas_dgemm_function;
typedef __typeof__(cblas_ssyrk) *cblas_ssyrk_function;
typedef __typeof__(cblas_dsyrk) *cblas_dsyrk_function;
typedef __typeof__(openblas_get_corename) *openblas_get_corename_function;
