/* Layout ops (permute, concat, slice), resizing, reductions, losses, dropout. */
#ifndef DIFFIML_SHAPE_H
#define DIFFIML_SHAPE_H
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
