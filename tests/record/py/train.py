# Python frames e2e workload (t-e2e-python.sh): CUDA calls of the fake
# runtime through ctypes from known functions; the test finds the expected
# lines by the "# @NAME" markers, so edits here cannot silently break it.
import ctypes
import os
import sys
import threading
import time

rt = ctypes.CDLL(sys.argv[1])
go = sys.argv[2]
while not os.path.exists(go):
    rt.cudaDeviceSynchronize()  # @WARM
    time.sleep(0.02)


def forward():
    rt.cudaDeviceSynchronize()  # @FORWARD


def batches(n):
    for i in range(n):
        rt.cudaStreamSynchronize(None)  # @GEN
        yield i


def train_step(i):
    forward()  # @STEP_FORWARD
    sync = lambda: rt.cudaDeviceSynchronize()  # @LAMBDA
    sync()  # @STEP_LAMBDA
    for _ in batches(2):  # @STEP_GEN
        pass


def worker():
    forward()  # @WORKER


t = threading.Thread(target=worker)
t.start()
t.join()
for i in range(int(os.environ.get("STEPS", "3"))):
    train_step(i)  # @MODULE
print("done", flush=True)
# code objects are read from the live process (once per call site) shortly
# after the calls: a process that exits at once loses its last frames
time.sleep(2)
