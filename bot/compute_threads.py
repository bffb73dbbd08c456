"""One compute thread per process for the numerical libraries of the bot's two servers.

numpy's and scipy's OpenBLAS, scikit-learn's OpenMP and TensorFlow each start a pool of threads, one per core, when
they are loaded. A server here answers one message at a time per process, and `make run` starts one Rasa process
per core beside the action server and the gateway, so those threads never have work of their own to share: they
spin waiting for each other on cores the other processes need. Measured on 2 cores (2026-12-01, seventh session):
the action server spent 34 ms of CPU per customer question with its pools, 14 ms with one thread each (its
numpy, scipy and scikit-learn helper threads had used 60 % of its CPU), same replies; Rasa 11.4 → 9.6 ms per message
(scripts/bench_rasa_cpu.py, 8 interleaved rounds, the same replies).

Each variable is only set when the environment does not already say otherwise (a deployment on a machine with
cores to spare can give a process more), and must be set before the libraries are loaded: bot/serve.py and
bot/actions/__init__.py call this first.
"""
from __future__ import annotations

import os

VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "TF_INTRA_OP_PARALLELISM_THREADS", "TF_INTER_OP_PARALLELISM_THREADS")


def one_per_process() -> None:
    for name in VARIABLES:
        os.environ.setdefault(name, "1")
