/* Normalisations and softmax. */
#ifndef DIFFIML_NORM_H
#define DIFFIML_NORM_H
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
