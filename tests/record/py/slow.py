# Python frames e2e workload 2 (t-e2e-python.sh): a loop of fast stream
# syncs from one line and a few slow ones from another; the slow ones wait
# on the fake runtime's GPU lock (FAKECUDA_GPU_LOCK), held here for 30 ms.
import ctypes
import fcntl
import os
import sys
import threading
import time

rt = ctypes.CDLL(sys.argv[1])
go, lock = sys.argv[2], sys.argv[3]
while not os.path.exists(go):
    rt.cudaDeviceSynchronize()  # @WARM2
    time.sleep(0.02)


def fast():
    rt.cudaStreamSynchronize(None)  # @FAST


def slow():
    rt.cudaStreamSynchronize(None)  # @SLOW


fd = os.open(lock, os.O_RDWR | os.O_CREAT)
for i in range(int(os.environ.get("ROUNDS", "5"))):
    for _ in range(20):
        fast()
    fcntl.flock(fd, fcntl.LOCK_EX)
    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.03)
    fcntl.flock(fd, fcntl.LOCK_UN)
    t.join()
    time.sleep(0.3)   # the same lines across several 1 s segments
print("done", flush=True)
time.sleep(2)
