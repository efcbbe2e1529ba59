"""OptaxOptimizer: optax transformations behind torch.optim's API, against torch's optimizers."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import tensorish

RNG = np.random.default_rng(1)
X = RNG.standard_normal((16, 4)).astype(np.float32)
Y = RNG.standard_normal((16, 1)).astype(np.float32)


def model(lib):
    """The same small MLP under torch and tensorish (same weights)."""
    rng = np.random.default_rng(0)
    m = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 1))
    with lib.no_grad():
        for p in m.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return m


def loss_of(lib, m):
    return ((m(lib.tensor(X)) - lib.tensor(Y)) ** 2).mean()


def train_torch(make_opt, steps=50):
    m = model(torch)
    opt = make_opt(m.parameters())
    sched = torch.optim.lr_scheduler.StepLR(opt, 10, 0.5)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_of(torch, m)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy() for p in m.parameters()], opt


def train_tensorish(transformation, compiled, steps=50, **kw):
    m = model(tensorish)
    opt = tensorish.optim.OptaxOptimizer(m.parameters(), transformation, **kw)
    sched = tensorish.optim.lr_scheduler.StepLR(opt, 10, 0.5)

    def step():
        opt.zero_grad()
        loss = loss_of(tensorish, m)
        loss.backward()
        opt.step()
        sched.step()
        return loss

    fn = tensorish.compile(step) if compiled else step
    losses = [fn().item() for _ in range(steps)]
    return losses, [p.detach().numpy() for p in m.parameters()], opt, fn


CASES = {
    "sgd_momentum": (
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9),
        lambda: optax.inject_hyperparams(optax.sgd)(learning_rate=0.05, momentum=0.9),
    ),
    "adam": (
        lambda ps: torch.optim.Adam(ps, lr=0.05),
        lambda: optax.inject_hyperparams(optax.adam)(learning_rate=0.05),
    ),
}


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("name", list(CASES))
def test_equals_torch_over_50_steps_with_a_scheduler(name, compiled):
    make_torch, make_tx = CASES[name]
    t_losses, t_weights, t_opt = train_torch(make_torch)
    s_losses, s_weights, s_opt, fn = train_tensorish(make_tx(), compiled)
    np.testing.assert_allclose(s_losses, t_losses, rtol=1e-4, atol=1e-5)
    for a, b in zip(s_weights, t_weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert s_opt.param_groups[0]["lr"] == pytest.approx(t_opt.param_groups[0]["lr"])
    if compiled:  # the lr changes five times without recompiling (.grad None, then tensors)
        assert fn.compile_count == 2


def test_maximize_equals_torch():
    t_losses, t_weights, _ = train_torch(
        lambda ps: torch.optim.SGD(ps, lr=0.01, maximize=True), steps=5
    )
    tx = optax.inject_hyperparams(optax.sgd)(learning_rate=0.01)
    s_losses, s_weights, _, _ = train_tensorish(tx, False, steps=5, maximize=True)
    np.testing.assert_allclose(s_losses, t_losses, rtol=1e-5)
    for a, b in zip(s_weights, t_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_state_dict_round_trip_through_save_and_load(tmp_path):
    tx = optax.inject_hyperparams(optax.adam)(learning_rate=0.05)
    _, _, opt, _ = train_tensorish(tx, False, steps=3)
    path = tmp_path / "opt.pt"
    tensorish.save(opt.state_dict(), path)

    m2 = model(tensorish)
    opt2 = tensorish.optim.OptaxOptimizer(m2.parameters(), tx)
    opt2.load_state_dict(tensorish.load(path))
    sd, sd2 = opt.state_dict(), opt2.state_dict()
    assert sd["param_groups"] == sd2["param_groups"]  # lr, initial_lr, b1, ..., params
    for a, b in zip(sd["state"][0]["optax_state"], sd2["state"][0]["optax_state"]):
        assert a.dtype is b.dtype and a.tolist() == b.tolist()

    # torch reads the file too: the state is plain containers of tensors and numbers.
    theirs = torch.load(path, weights_only=True)
    assert theirs["param_groups"][0]["lr"] == sd["param_groups"][0]["lr"]
    leaves = sd["state"][0]["optax_state"]
    assert [tuple(t.shape) for t in theirs["state"][0]["optax_state"]] == [
        tuple(t.shape) for t in leaves
    ]
    np.testing.assert_array_equal(theirs["state"][0]["optax_state"][1].numpy(), leaves[1].numpy())


def test_load_state_dict_of_another_transformation_is_refused():
    w = tensorish.ones(2, requires_grad=True)
    adam = tensorish.optim.OptaxOptimizer([w], optax.adam(1e-3))
    sgd = tensorish.optim.OptaxOptimizer([w], optax.sgd(1e-3, momentum=0.9))
    with pytest.raises(ValueError, match="does not match this optimizer's transformation"):
        sgd.load_state_dict(adam.state_dict())


def test_param_groups_with_their_own_transformation_and_lr():
    a = tensorish.ones(2, requires_grad=True)
    b = tensorish.ones(2, requires_grad=True)
    c = tensorish.ones(2, requires_grad=True)
    sgd = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
    opt = tensorish.optim.OptaxOptimizer([{"params": [a]}, {"params": [b], "lr": 0.5}], sgd)
    opt.add_param_group({"params": [c], "transformation": optax.sign_sgd(1.0)})
    assert [g.get("lr") for g in opt.param_groups[:2]] == [0.1, 0.5]
    (a.sum() + b.sum() + 3 * c.sum()).backward()
    opt.step()
    assert a.tolist() == pytest.approx([0.9, 0.9])
    assert b.tolist() == pytest.approx([0.5, 0.5])
    assert c.tolist() == [0.0, 0.0]  # sign_sgd(1.0): one unit against the gradient's sign


def test_parameter_without_grad_keeps_its_value():
    w = tensorish.ones(2, requires_grad=True)
    frozen = tensorish.ones(2, requires_grad=True)
    opt = tensorish.optim.OptaxOptimizer([w, frozen], optax.adamw(0.1, weight_decay=0.5))
    (w * w).sum().backward()
    opt.step()
    assert frozen.tolist() == [1.0, 1.0] and w.tolist() != [1.0, 1.0]


def test_zero_grad_and_closure():
    w = tensorish.ones(2, requires_grad=True)
    opt = tensorish.optim.OptaxOptimizer([w], optax.sgd(0.1))

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 2.0
    assert w.tolist() == pytest.approx([0.8, 0.8])
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_lr_of_a_closed_transformation_is_a_clear_error():
    w = tensorish.ones(2, requires_grad=True)
    opt = tensorish.optim.OptaxOptimizer([w], optax.adam(1e-3))
    assert "lr" not in opt.param_groups[0]
    with pytest.raises(KeyError, match="inject_hyperparams"):
        tensorish.optim.lr_scheduler.StepLR(opt, 1)
    with pytest.raises(ValueError, match="inject_hyperparams"):
        tensorish.optim.OptaxOptimizer([{"params": [w], "lr": 0.1}], optax.adam(1e-3))
    with pytest.raises(TypeError, match="GradientTransformation"):
        tensorish.optim.OptaxOptimizer([w], optax.adam)


def test_direct_optax_on_tensorish_parameters():
    m = model(tensorish)
    loss_of(tensorish, m).backward()
    tx = optax.adam(1e-2)
    named = dict(m.named_parameters())
    state = tx.init(named)  # Parameters are pytrees: optax's state mirrors them
    assert "Parameter containing" in repr(state)

    # A tree's node types must match across optax's arguments (a Parameter is its own pytree
    # type, as a tuple is not a list): use the parameters' detached tensors beside the grads.
    params = {n: p.detach() for n, p in named.items()}
    grads = {n: p.grad for n, p in named.items()}
    state = tx.init(params)
    updates, state = tx.update(grads, state, params)
    new = optax.apply_updates(params, updates)

    arrays = {n: p.jax() for n, p in params.items()}
    ref_state = tx.init(arrays)
    ref_updates, ref_state = tx.update({n: g.jax() for n, g in grads.items()}, ref_state, arrays)
    ref_new = optax.apply_updates(arrays, ref_updates)
    for n in arrays:
        assert isinstance(new[n], tensorish.Tensor)
        np.testing.assert_array_equal(np.asarray(new[n].jax()), np.asarray(ref_new[n]))
    for a, b in zip(jax.tree.leaves(state), jax.tree.leaves(ref_state)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    norm = float(jnp.sqrt(sum(jnp.sum(g.jax() ** 2) for g in grads.values())))
    assert float(optax.tree.norm(grads)) == pytest.approx(norm)
