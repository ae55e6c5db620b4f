# Python frames e2e workload 3 (t-e2e-python.sh): a DataLoader-like fork;
# parent and child call CUDA from their own known lines.  Each process is
# set up by the recorder at its first CUDA call: the first calls of each
# may carry no frames.
import ctypes
import os
import sys
import time

rt = ctypes.CDLL(sys.argv[1])


def parent_work():
    rt.cudaDeviceSynchronize()  # @PARENT


def child_work():
    rt.cudaStreamSynchronize(None)  # @CHILD


for _ in range(20):
    parent_work()  # @PARENT_LOOP
    time.sleep(0.02)
pid = os.fork()
if pid == 0:
    for _ in range(30):
        child_work()  # @CHILD_LOOP
        time.sleep(0.03)
    time.sleep(1.5)   # code objects are read from the live process
    os._exit(0)
os.waitpid(pid, 0)
print("done", flush=True)
time.sleep(1.5)
