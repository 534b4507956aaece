/* Optimiser kernels: AdamW update, gradient norms. */
#ifndef DIFFIML_OPTIM_H
#define DIFFIML_OPTIM_H
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
