/* wl-infer - an inference-like serving loop (issue 12): continuous batching
 * on the default stream, a prefill step (--prefill-launches launches, a 4 MiB
 * H2D copy, one cudaMalloc for its KV cache) every --every steps, else decode
 * steps (8 launches, 4 KiB copies); every step ends in
 * cudaStreamSynchronize(0).  Decode step --outlier sleeps --outlier-ms on
 * the host before its sync (one injected outlier).  Prints "outlier <step>
 * <decode index>". */
#include "../fakecuda/fakecuda.h"
#include "wl.h"

NOINL void kernel_tok(void) { __asm__ volatile(""); }

int main(int argc, char **argv)
{
	wl_start(argc, argv, "[--steps N] [--every K] [--prefill-launches L] [--outlier I] [--outlier-ms MS]");
	long steps = wl_opt(argc, argv, "--steps", 240);
	long every = wl_opt(argc, argv, "--every", 20);
	long pl = wl_opt(argc, argv, "--prefill-launches", 256);
	long out = wl_opt(argc, argv, "--outlier", 150);
	long out_ms = wl_opt(argc, argv, "--outlier-ms", 120);
	static char small[4096], big[4 << 20];
	void *dev = NULL, *kv[64];
	int nkv = 0, err = cudaMalloc(&dev, sizeof(big));
	dim3 g = { 4, 1, 1 }, b = { 64, 1, 1 };
	long dec = 0;
	for (long i = 0; i < steps; i++) {
		int prefill = i % every == 0;
		if (prefill) {
			if (nkv < 64 && cudaMalloc(&kv[nkv], 1 << 20) == 0)
				nkv++;
			err |= cudaMemcpy(dev, big, sizeof(big), cudaMemcpyHostToDevice);
			for (long k = 0; k < pl; k++)
				err |= cudaLaunchKernel((const void *)kernel_tok, g, b, NULL, 0, NULL);
		} else {
			err |= cudaMemcpy(dev, small, sizeof(small), cudaMemcpyHostToDevice);
			for (int k = 0; k < 8; k++)
				err |= cudaLaunchKernel((const void *)kernel_tok, g, b, NULL, 0, NULL);
			if (dec == out) {
				printf("outlier %ld %ld\n", i, dec);
				fflush(stdout);
				wl_sleep_us((uint64_t)out_ms * 1000);
			}
			dec++;
		}
		err |= cudaStreamSynchronize(NULL);
	}
	for (int k = 0; k < nkv; k++)
		err |= cudaFree(kv[k]);
	err |= cudaFree(dev);
	printf("done\n");
	return err ? 1 : 0;
}
