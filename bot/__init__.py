"""Double Reduction (双减) hotline bot."""

import os

# Numerical work in one thread (set before anything imports numpy). The bot runs in one asyncio
# thread; its one sizeable linear algebra, training the matcher's classifier at start, takes
# 25 ms on one core, while OpenBLAS's threads, waiting on each other on a busy machine, made
# start-up up to 2 s slower (and each thread's buffer costs memory).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
