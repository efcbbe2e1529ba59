"""The mode: ONE object, ``mode``, holding every switch that changes how ops run.

A leaf of the package (it imports nothing of tensorish). Each field is either per thread or
process-wide, following PyTorch:

Per thread (each new thread starts from the defaults below):
    ``grad``, ``inference``  gradient recording: no_grad, enable_grad, set_grad_enabled,
                             inference_mode (thread-local in PyTorch too)
    ``trace``                the tensorish.compile trace this thread is running (None: none);
                             ops then run inline, and the trace watches the tensors they touch
    ``inline``               how many tensorish.func transforms this thread is inside (ops then
                             trace inline instead of calling one cached program each)
    ``cuda_device``          the current CUDA device index (per thread in PyTorch and CUDA)
    ``autocast``             tensorish.amp's hook ``autocast(policy, fn, args, kwargs)`` that
                             runs the ops of the autocast table while autocast is on for some
                             device (None: off, the ops run as given); its ``key()`` names
                             the casts it makes (tensorish.compile traces once per key)
    ``autocast_state``       tensorish.amp's settings (enabled and dtype per device, weight
                             cache, nesting); None until this thread first changes them

Process-wide (one value that every thread sees):
    ``anomaly``, ``check_nan``  anomaly detection (a global switch in PyTorch)
    ``defer``                   deferred forward values (see _lazy); False runs every op at once
    ``spmd``                    set by tensorish.distributed while several processes are joined:
                                compile traces steps with its mesh axis bound (``axis_env``) and
                                ``program(fun, jaxpr, donate_argnums)`` makes the step's program
    ``profile``                 the profiler's hook ``profile(op, args, static, cast)`` that runs
                                every op while tensorish.profiler records (None: not profiling)
    ``sdpa_enabled``            the scaled-dot-product-attention backends that may run (the
                                values of ``nn.attention.SDPBackend``; global flags in PyTorch)
    ``sdpa_order``              their priority order (``sdpa_kernel(..., set_priority=True)``)

``Mode`` is a ``threading.local``: attributes set on it live in a per-thread dictionary, while
its ``__slots__`` live in the one object, so the slots are exactly the process-wide fields.

>>> from tensorish._mode import mode
>>> mode.grad, mode.anomaly
(True, False)
"""

from __future__ import annotations

import threading


class Mode(threading.local):
    """See the module docstring: slots are process-wide, everything else is per thread."""

    __slots__ = ("anomaly", "check_nan", "defer", "profile", "sdpa_enabled", "sdpa_order", "spmd")

    # Per-thread defaults (class attributes: what a thread reads before it sets its own).
    grad = True
    inference = False
    trace = None
    inline = 0
    cuda_device = 0
    autocast = None
    autocast_state = None


mode = Mode()
mode.anomaly, mode.check_nan, mode.defer = False, True, True
mode.profile = mode.spmd = None
# MATH 0, FLASH_ATTENTION 1, EFFICIENT_ATTENTION 2, CUDNN_ATTENTION 3, OVERRIDEABLE 4
mode.sdpa_enabled, mode.sdpa_order = frozenset(range(5)), (1, 2, 0, 3, 4)
