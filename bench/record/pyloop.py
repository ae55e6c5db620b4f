# bench/record/python.sh workload: CUDA calls of the fake runtime through
# ctypes from a Python call chain 6 frames deep, for SECONDS after SIGUSR1;
# prints "calls N" and "calls_per_s R".
import ctypes
import os
import signal
import sys
import time

rt = ctypes.CDLL(sys.argv[1])
secs = float(sys.argv[2])
go = []
signal.signal(signal.SIGUSR1, lambda *a: go.append(1))
print("pid", os.getpid(), flush=True)
while not go:
    rt.cudaStreamSynchronize(None)   # warm-up: the recorder sets the process up
    time.sleep(0.01)


def call(n):
    sync = rt.cudaStreamSynchronize
    for _ in range(n):
        sync(None)


def layer(d, n):
    if d:
        return layer(d - 1, n)
    return call(n)


calls, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < secs:
    layer(4, 1000)
    calls += 1000
dt = time.perf_counter() - t0
print("calls", calls)
print("calls_per_s", calls / dt, flush=True)
