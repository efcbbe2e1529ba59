"""tensorish.compile: run an imperative step (forward, backward, optimizer) as one ``jax.jit`` call.

How it works (one trace per structure, then one XLA call per step):

1. **Walk** (``_walk``). Everything the function can reach (its arguments, closure cells, the
   globals its code names, the default RNG generator, recursively through the user's objects,
   dicts and lists) is listed as *slots*: Tensors, JAX arrays (RNG keys), Python ints/floats
   (hyperparameters: learning rates, step counts) and every other value, guarded by identity.
2. **Trace with watching** (``_trace``). The function runs once under ``jax.make_jaxpr`` with
   the trace as this thread's ``mode.trace``: every pre-existing Tensor the step reads or writes
   reports itself to it (other threads see nothing). State tensors get tracers as values,
   Python numbers become ``TracedScalar`` s (traced arithmetic; a concrete use such as
   ``if momentum != 0`` or ``alpha=lr`` specializes on the value and adds a guard). Values read
   are inputs; values written (in-place writes, new ``.grad`` s, rebound slots, RNG keys) are
   outputs, each with its place in the write-back layout (``_layout``). Afterwards all Python
   state is restored exactly, and that jaxpr is what is compiled (a tensor found only by
   watching, not by the walk, costs one more trace).
3. **Call** (``_entry``). Each call checks the guards (``_guards``), gathers the state values,
   runs the compiled function (donating the buffers it overwrites) and writes the new values
   back.

State created on a first call (an optimizer's lazy buffers) makes that call run eagerly; the
next one compiles. A compiled function called inside another is inlined. The package sits above
autograd and the op table: nothing below it knows it exists, except through ``mode.trace``.
"""

from ._entry import CompiledModule as CompiledModule
from ._entry import compile as compile
from ._entry import compiled as compiled
from ._errors import CompileError as CompileError
