"""L-BFGS with an optional strong-Wolfe line search, ported from PyTorch's ``torch.optim.LBFGS``.

The algorithm drives a user closure in a Python loop, so its vector math runs as jnp calls on
the flattened parameters. PyTorch keeps several scalars (``ys``, ``ro``, ``H_diag``, ``gtd``) as
0-dim float tensors; they are ``np.float32`` values here so the comparisons round alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import jax.numpy as jnp
import numpy as np

from .._tensor import Tensor, read_grad
from ..autograd._grad_mode import enable_grad, no_grad
from .optimizer import Optimizer, check_lr, scalar


def _f32(x: Any) -> np.float32:
    return np.float32(np.asarray(x))


def _loss(value: Any) -> float:
    return float(value.item()) if isinstance(value, Tensor) else float(value)


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    d_norm = _f32(jnp.max(jnp.abs(d)))
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = _f32(jnp.dot(g_new, d))
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = _f32(jnp.dot(g_new, d))
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = _f32(jnp.dot(g_new, d))
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _box(x: Any) -> Any:
    """State as PyTorch keeps it: tensors for arrays and 0-dim float tensors."""
    if isinstance(x, (np.floating, jnp.ndarray)):
        return Tensor._wrap(jnp.asarray(x))
    if isinstance(x, list):
        return [_box(v) for v in x]
    return x


def _unbox(x: Any) -> Any:
    if isinstance(x, Tensor):
        return _f32(x._value) if x.ndim == 0 else x._value
    if isinstance(x, list):
        return [_unbox(v) for v in x]
    return x


class LBFGS(Optimizer):
    """L-BFGS (one parameter group); ``step`` needs a closure that returns the loss.

    >>> import tensorish
    >>> w = tensorish.ones(2, requires_grad=True)
    >>> opt = tensorish.optim.LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((w - 3) ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure)
    >>> [round(v, 4) for v in w.tolist()]
    [3.0, 3.0]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _gather_flat_grad(self) -> jnp.ndarray:
        return jnp.concatenate(
            [
                jnp.zeros(p.numel(), p.dtype.np) if g is None else g._value.reshape(-1)
                for p, g in ((p, read_grad(p)) for p in self._params)
            ]
        )

    def _add_grad(self, step_size: Any, update: jnp.ndarray) -> None:
        offset = 0
        for p in self._params:
            n = p.numel()
            step = np.asarray(step_size, p._v.dtype)
            p._set_value(p._value + step * update[offset : offset + n].reshape(p._v.shape))
            offset += n

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = _loss(closure())
        flat_grad = self._gather_flat_grad()
        for p, v in zip(self._params, x):
            p._set_value(v)
        return loss, flat_grad

    @no_grad()
    # C901: PyTorch's L-BFGS step, kept in its shape to compare
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]  # noqa: C901
        """Run up to ``max_iter`` L-BFGS iterations, re-evaluating ``closure``."""
        closure = enable_grad()(closure)
        group = self.param_groups[0]
        lr = scalar(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = _loss(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        opt_cond = _f32(jnp.max(jnp.abs(flat_grad))) <= tolerance_grad
        if opt_cond:
            return orig_loss

        d, t = _unbox(state.get("d")), _unbox(state.get("t"))
        old_dirs, old_stps = _unbox(state.get("old_dirs")), _unbox(state.get("old_stps"))
        ro, H_diag = _unbox(state.get("ro")), _unbox(state.get("H_diag"))
        prev_flat_grad, prev_loss = _unbox(state.get("prev_flat_grad")), state.get("prev_loss")
        al = _unbox(state.get("al"))

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * np.asarray(t, d.dtype)
                ys = _f32(jnp.dot(y, s))
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(np.float32(1.0) / ys)
                    H_diag = ys / _f32(jnp.dot(y, y))
                num_old = len(old_dirs)
                if al is None:
                    al = [None] * history_size
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = _f32(jnp.dot(old_stps[i], q)) * ro[i]
                    q = q + np.asarray(-al[i], q.dtype) * old_dirs[i]
                d = r = q * np.asarray(H_diag, q.dtype)
                for i in range(num_old):
                    be_i = _f32(jnp.dot(old_dirs[i], r)) * ro[i]
                    r = r + np.asarray(al[i] - be_i, r.dtype) * old_stps[i]
                d = r
            prev_flat_grad = flat_grad
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, np.float32(1.0) / _f32(jnp.sum(jnp.abs(flat_grad)))) * lr
            else:
                t = lr
            gtd = _f32(jnp.dot(flat_grad, d))
            if gtd > -tolerance_change:
                break
            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p._value for p in self._params]

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = _f32(jnp.max(jnp.abs(flat_grad))) <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    with enable_grad():
                        loss = _loss(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = _f32(jnp.max(jnp.abs(flat_grad))) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if _f32(jnp.max(jnp.abs(d * np.asarray(t, d.dtype)))) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"], state["t"] = _box(d), _box(t)
        state["old_dirs"], state["old_stps"] = _box(old_dirs), _box(old_stps)
        state["ro"], state["H_diag"] = _box(ro), _box(H_diag)
        state["prev_flat_grad"], state["prev_loss"] = _box(prev_flat_grad), prev_loss
        if al is not None:
            state["al"] = _box(al)
        return orig_loss
