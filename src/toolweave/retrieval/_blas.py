"""Run one small numpy computation with a single BLAS thread.

Embedding one query is ~40 matrix products of a few dozen rows: too small for OpenBLAS's thread
team to pay off. Waking the team costs more than it saves on an idle machine, and on a busy one
(other processes on the same cores) the spinning threads collapse: measured on 2 shared cores,
one query took ~700 ms with the default team and ~40 ms with one thread. OpenBLAS >= 0.3.27
(numpy's bundled build) has ``openblas_set_num_threads_local``, which changes the count for the
calling thread only, so other threads (an index build, the model) keep their team.
Where that symbol is missing (another BLAS, an older OpenBLAS) this is a no-op.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@functools.cache
def _set_local():
    """``openblas_set_num_threads_local`` of the OpenBLAS numpy loaded, or None."""
    import numpy as np

    candidates = []
    libs = Path(np.__file__).parent.parent / "numpy.libs"  # manylinux wheels bundle it here
    candidates += sorted(libs.glob("*openblas*.so*")) if libs.is_dir() else []
    try:  # any OpenBLAS already mapped into this process (a system numpy's, say)
        for line in Path("/proc/self/maps").read_text().splitlines():
            path = line.split()[-1]
            if "openblas" in path.rsplit("/", 1)[-1] and path.startswith("/"):
                candidates.append(Path(path))
    except OSError:
        pass
    for path in dict.fromkeys(candidates):
        try:
            lib = ctypes.CDLL(str(path))
            fn = lib.openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
        return fn
    return None


@contextmanager
def single_thread() -> Iterator[None]:
    """Within the block, this thread's BLAS calls use one thread (restored afterwards)."""
    fn = _set_local()
    if fn is None:
        yield
        return
    previous = fn(1)
    try:
        yield
    finally:
        fn(previous)
