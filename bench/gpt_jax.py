"""The floor for bench/gpt.py: the same GPT training step hand-written in JAX, one ``jax.jit``.

Same math as ``gpt.train_step`` on ``gpt.GPT``: token and position embeddings, pre-LayerNorm
blocks of causal self-attention and a GELU (exact) MLP, a tied output head, mean cross-entropy,
``clip_grad_norm_`` to 1.0 and AdamW with weight decay on the matrices only.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from gpt import GPTConfig


def init(config: GPTConfig, seed: int = 0) -> dict:
    """Parameters laid out as PyTorch's (a Linear weight is (out, in)), initialized as GPT's."""
    rng = np.random.default_rng(seed)
    c, std = config.n_embd, 0.02
    proj_std = 0.02 / math.sqrt(2 * config.n_layer)

    def normal(shape, s=std):
        return (rng.standard_normal(shape) * s).astype(np.float32)

    def layer_norm():
        return {"w": np.ones(c, np.float32), "b": np.zeros(c, np.float32)}

    blocks = [
        {
            "ln_1": layer_norm(),
            "attn_w": normal((3 * c, c)),
            "attn_b": np.zeros(3 * c, np.float32),
            "attn_proj_w": normal((c, c), proj_std),
            "attn_proj_b": np.zeros(c, np.float32),
            "ln_2": layer_norm(),
            "fc_w": normal((4 * c, c)),
            "fc_b": np.zeros(4 * c, np.float32),
            "mlp_proj_w": normal((c, 4 * c), proj_std),
            "mlp_proj_b": np.zeros(c, np.float32),
        }
        for _ in range(config.n_layer)
    ]
    params = {
        "wte": normal((config.vocab_size, c)),
        "wpe": normal((config.block_size, c)),
        "h": blocks,
        "ln_f": layer_norm(),
    }
    return jax.tree.map(jnp.asarray, params)


def _layer_norm(x, p):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + 1e-5) * p["w"] + p["b"]


def _attention(x, p, n_head: int):
    B, T, C = x.shape
    qkv = x @ p["attn_w"].T + p["attn_b"]
    q, k, v = (
        a.reshape(B, T, n_head, C // n_head).transpose(0, 2, 1, 3) for a in jnp.split(qkv, 3, -1)
    )
    att = (q @ k.transpose(0, 1, 3, 2)) / math.sqrt(C // n_head)
    att = jnp.where(jnp.tril(jnp.ones((T, T), bool)), att, -jnp.inf)
    y = jax.nn.softmax(att, -1) @ v
    return y.transpose(0, 2, 1, 3).reshape(B, T, C) @ p["attn_proj_w"].T + p["attn_proj_b"]


def _mlp(x, p):
    h = jax.nn.gelu(x @ p["fc_w"].T + p["fc_b"], approximate=False)
    return h @ p["mlp_proj_w"].T + p["mlp_proj_b"]


def loss_fn(params: dict, idx, targets, n_head: int):
    x = params["wte"][idx] + params["wpe"][: idx.shape[1]]
    for p in params["h"]:
        x = x + _attention(_layer_norm(x, p["ln_1"]), p, n_head)
        x = x + _mlp(_layer_norm(x, p["ln_2"]), p)
    logits = _layer_norm(x, params["ln_f"]) @ params["wte"].T
    logp = jax.nn.log_softmax(logits, -1)
    return -jnp.take_along_axis(logp, targets[..., None], -1).mean()


def make_step(
    config: GPTConfig, learning_rate: float, betas: tuple, weight_decay: float, clip: float
):
    """``step(params, opt_state, x, y) -> (params, opt_state, loss)``, jitted, buffers donated."""
    lr, (b1, b2), eps = learning_rate, betas, 1e-8

    def step(params, opt_state, idx, targets):
        loss, grads = jax.value_and_grad(loss_fn)(params, idx, targets, config.n_head)
        norm = jnp.sqrt(sum(jnp.sum(g * g) for g in jax.tree.leaves(grads)))
        grads = jax.tree.map(lambda g: g * jnp.minimum(clip / (norm + 1e-6), 1.0), grads)
        t = opt_state["t"] + 1
        m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, opt_state["m"], grads)
        v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, opt_state["v"], grads)

        def update(p, m, v):
            p = p * (1 - lr * (weight_decay if p.ndim >= 2 else 0.0))
            denom = jnp.sqrt(v) / jnp.sqrt(1 - b2**t) + eps
            return p - lr / (1 - b1**t) * m / denom

        params = jax.tree.map(update, params, m, v)
        return params, {"t": t, "m": m, "v": v}, loss

    return jax.jit(step, donate_argnums=(0, 1))


def init_opt_state(params: dict) -> dict:
    zeros = jax.tree.map(jnp.zeros_like, params)
    return {"t": jnp.zeros((), jnp.float32), "m": zeros, "v": jax.tree.map(jnp.copy, zeros)}
