# record/py.mk: the CPython frame walker's BPF headers are part of the BPF object
$(BPF_TMPS): bpf/pyframes.bpf.h bpf/pyframes_bpf.h
