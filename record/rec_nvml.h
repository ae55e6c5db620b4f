/*
 * rec_nvml.h - GPU snapshots through NVML, loaded with dlopen() only when
 * libnvidia-ml.so.1 is present (no build or run dependency otherwise).
 */
#ifndef INGERO_REC_NVML_H
#define INGERO_REC_NVML_H

#include <stdint.h>

#include "ingero.h"

struct rec_nvml;

/* NULL when NVML is absent or fails to initialize. */
struct rec_nvml *rec_nvml_open(void);
/* Fill *g for GPU `index`: 0, or -1 past the last GPU. */
int rec_nvml_sample(struct rec_nvml *n, uint32_t index, struct ingero_gpu *g);
void rec_nvml_close(struct rec_nvml *n);

#endif
