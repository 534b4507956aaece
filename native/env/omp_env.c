/* Loaded before libdiffiml (JavaCPP "preload"), so that libgomp, which reads its settings once when libdiffiml
 * pulls it in, sees a passive wait policy. Spinning idle OpenMP threads would otherwise take the cores that
 * OpenBLAS's GEMM threads need right after each of our parallel loops (dense convolutions ran 2x slower).
 * A value the user set is kept. */
#include <stdlib.h>

__attribute__((constructor)) static void diffiml_set_omp_env(void) { setenv("OMP_WAIT_POLICY", "passive", 0); }
