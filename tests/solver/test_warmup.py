"""``python -m tfmxne.warmup`` (``make install``) fills numba's cache for every kernel."""
import json
import os
import subprocess
import sys

import pytest

#: In a fresh process after the warm-up: every compiled kernel, and those that missed the cache.
CHECK = """
import json
from numba.core.registry import CPUDispatcher
from tfmxne import block_descent, debias, warmup
warmup.compile_kernels()
kernels = {f"{m.__name__}.{k}": v for m in (block_descent, debias) for k, v in vars(m).items()
           if isinstance(v, CPUDispatcher)}
print(json.dumps([sorted(kernels), sorted(k for k, v in kernels.items() if v.stats.cache_misses)]))
"""


@pytest.mark.slow
def test_warmup_fills_the_cache(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    subprocess.run([sys.executable, "-m", "tfmxne.warmup"], env=env, check=True)
    kernels, missed = json.loads(subprocess.check_output([sys.executable, "-c", CHECK], env=env, text=True))
    assert len(kernels) == 5 and not missed, (kernels, missed)
    cached = {p.name.split("-")[0] for p in tmp_path.rglob("*.nbi")}
    assert cached == {k.removeprefix("tfmxne.") for k in kernels}
    assert len(list(tmp_path.rglob("*.nbc"))) >= len(kernels)
