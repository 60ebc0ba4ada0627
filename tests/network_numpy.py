r"""A NumPy twin of ``landscapes/mlp.py`` and of the network's training, for the tests and the benchmark.

Written from the published math with whole-batch matrix operations, not from the Numba kernels:

* the forward pass of a multilayer perceptron, ``Linear → BatchNorm1d → activation`` per hidden layer
  (Ioffe & Szegedy 2015, Algorithm 1: batch mean and biased variance, ε = 1e-5 inside the square root),
  and the mean binary cross-entropy of σ(s) (``torch.nn.BCEWithLogitsLoss``), as log(1 + e^s) − ys;
* its gradient by backpropagation in matrix form (Rumelhart, Hinton & Williams 1986), batch norm's by
  the closed form of Ioffe & Szegedy section 3:
  ∂L/∂z = γ/(B·√(σ²+ε)) · (B·∂L/∂y − Σ∂L/∂y − x̂ Σ(∂L/∂y · x̂));
* Adam (Kingma & Ba 2015, Algorithm 1; ε outside the square root, as torch.optim.Adam) on the whole
  parameter vector at once;
* the quadratic Bézier curve fit of Garipov et al. (2018), section 3.

The only thing taken from the engine is its documented layout of θ (``landscapes/mlp.py``): layer by
layer, the weight as fan_in × out row-major (input-major, the transpose of torch's), the bias, then
for a hidden layer with batch norm its γ and β.

Every function accepts a stack of parameter vectors (leading axes before the last), so a grid of
points of a loss landscape is one broadcast matrix product per layer (``losses_on_span``).

Lives in tests/ beside ``reference.py`` (the tests' other trusted implementation); the benchmark
``benchmarks/bench_network.py`` imports it the way ``bench_engine.py`` imports ``reference``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EPS = 1e-5  # torch.nn.BatchNorm1d's eps
MOMENTUM = 0.1  # torch.nn.BatchNorm1d's momentum


@dataclass
class Layer:
    weight: np.ndarray  # (..., fan_in, out)
    bias: np.ndarray  # (..., out)
    gamma: np.ndarray | None  # (..., out) for a hidden layer with batch norm
    beta: np.ndarray | None


def widths_of(hidden) -> tuple:
    return (2, *hidden, 1)


def parameter_count(hidden, batch_norm: bool) -> int:
    widths = widths_of(hidden)
    count = sum(widths[k] * widths[k + 1] + widths[k + 1] for k in range(len(widths) - 1))
    return count + (2 * sum(hidden) if batch_norm else 0)


def unpack(hidden, batch_norm: bool, theta: np.ndarray) -> list[Layer]:
    """The layers of θ (views, so a gradient of the same shape unpacks into writable parts)."""
    widths = widths_of(hidden)
    lead = theta.shape[:-1]
    layers, at = [], 0
    for k in range(len(widths) - 1):
        fan_in, out = widths[k], widths[k + 1]
        weight = theta[..., at:at + fan_in * out].reshape(lead + (fan_in, out))
        at += fan_in * out
        bias = theta[..., at:at + out]
        at += out
        gamma = beta = None
        if batch_norm and k < len(widths) - 2:
            gamma, beta = theta[..., at:at + out], theta[..., at + out:at + 2 * out]
            at += 2 * out
        layers.append(Layer(weight, bias, gamma, beta))
    if at != theta.shape[-1]:
        raise ValueError(f"θ has {theta.shape[-1]} entries; this architecture has {at}")
    return layers


@dataclass
class Pass:
    """What one forward pass leaves for the backward pass and for the tests."""

    activations: list  # a_0 = x, a_1, ..., a_L (hidden outputs); the scores are ``scores``
    pre_activations: list  # per hidden layer: what the activation received (after batch norm)
    linear: list  # per hidden layer: the linear map's output z, before batch norm
    normalized: list  # per hidden layer with batch norm: x̂
    inv_std: list  # per hidden layer with batch norm: 1/√(σ² + ε), shape (..., 1, out)
    batch_mean: list  # per hidden layer with batch norm: the statistics used
    batch_var: list
    scores: np.ndarray  # (..., N)


def forward(hidden, activation: str, batch_norm: bool, theta: np.ndarray, x: np.ndarray, stats=None) -> Pass:
    """The forward pass over the rows of ``x`` (N, 2). Batch norm: the batch's own statistics when
    ``stats`` is None, else ``stats`` = (means, variances), one array of ``out`` values per hidden layer."""
    layers = unpack(hidden, batch_norm, np.asarray(theta, dtype=float))
    record = Pass([x], [], [], [], [], [], [], None)
    a = x
    for k, layer in enumerate(layers):
        z = a @ layer.weight + layer.bias[..., None, :]
        if k == len(layers) - 1:
            record.scores = z[..., 0]
            break
        record.linear.append(z)
        if batch_norm:
            if stats is None:
                mean = z.mean(axis=-2, keepdims=True)
                var = ((z - mean) ** 2).mean(axis=-2, keepdims=True)
            else:
                mean, var = np.asarray(stats[0][k])[None, :], np.asarray(stats[1][k])[None, :]
            inv_std = 1.0 / np.sqrt(var + EPS)
            normalized = (z - mean) * inv_std
            z = layer.gamma[..., None, :] * normalized + layer.beta[..., None, :]
            record.normalized.append(normalized)
            record.inv_std.append(inv_std)
            record.batch_mean.append(mean[..., 0, :])
            record.batch_var.append(var[..., 0, :])
        record.pre_activations.append(z)
        a = np.tanh(z) if activation == "tanh" else np.maximum(z, 0.0)
        record.activations.append(a)
    return record


def bce(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean of log(1 + e^s) − ys over the last axis, without overflow."""
    return (np.logaddexp(0.0, scores) - y * scores).mean(axis=-1)


def accuracy(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    return ((scores > 0.0) == (y > 0.5)).mean(axis=-1)


def loss(hidden, activation, batch_norm, theta, x, y, stats=None) -> float:
    return float(bce(forward(hidden, activation, batch_norm, theta, x, stats).scores, y))


def loss_and_gradient(hidden, activation: str, batch_norm: bool, theta: np.ndarray, x: np.ndarray,
                      y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean loss at one θ (batch statistics) and its gradient, by backpropagation in matrix form."""
    theta = np.asarray(theta, dtype=float)
    run = forward(hidden, activation, batch_norm, theta, x)
    grad = np.zeros_like(theta)
    parts = unpack(hidden, batch_norm, grad)
    layers = unpack(hidden, batch_norm, theta)
    batch = x.shape[0]
    sigma = 0.5 * (1.0 + np.tanh(0.5 * run.scores))  # σ(s) without overflow
    dz = ((sigma - y) / batch)[:, None]  # ∂L/∂(output layer's linear map)
    for k in range(len(layers) - 1, -1, -1):
        a_prev = run.activations[k]
        parts[k].weight[...] = a_prev.T @ dz
        parts[k].bias[...] = dz.sum(axis=0)
        if k == 0:
            break
        da = dz @ layers[k].weight.T  # ∂L/∂a_k, a_k = activation of hidden layer k-1
        a = run.activations[k]
        dy = da * (1.0 - a * a) if activation == "tanh" else da * (run.pre_activations[k - 1] > 0.0)
        if batch_norm:
            normalized, inv_std = run.normalized[k - 1], run.inv_std[k - 1]
            parts[k - 1].beta[...] = dy.sum(axis=0)
            parts[k - 1].gamma[...] = (dy * normalized).sum(axis=0)
            dxhat = dy * layers[k - 1].gamma
            dz = inv_std / batch * (batch * dxhat - dxhat.sum(axis=0) - normalized * (dxhat * normalized).sum(axis=0))
        else:
            dz = dy
    return float(bce(run.scores, y)), grad


def losses_on_span(hidden, activation, batch_norm, base, directions, coefficients, x_train, y_train, x_test, y_test,
                   chunk: int = 128) -> np.ndarray:
    """(P, 4): train loss, train accuracy, test loss, test accuracy at base + coefficients[p] · directions,
    batch norm with the training set's statistics at each point (for the test set too), ``chunk`` points
    per broadcast matrix product."""
    coefficients = np.atleast_2d(coefficients)
    out = np.empty((len(coefficients), 4))
    for lo in range(0, len(coefficients), chunk):
        thetas = base + coefficients[lo:lo + chunk] @ directions
        train = forward(hidden, activation, batch_norm, thetas, x_train)
        if batch_norm:  # per point: its own training statistics, broadcast over its test rows
            test = _forward_with_stacked_stats(hidden, activation, thetas, x_test, (train.batch_mean, train.batch_var))
        else:
            test = forward(hidden, activation, batch_norm, thetas, x_test)
        out[lo:lo + chunk, 0] = bce(train.scores, y_train)
        out[lo:lo + chunk, 1] = accuracy(train.scores, y_train)
        out[lo:lo + chunk, 2] = bce(test.scores, y_test)
        out[lo:lo + chunk, 3] = accuracy(test.scores, y_test)
    return out


def _forward_with_stacked_stats(hidden, activation, thetas, x, stats) -> Pass:
    """``forward`` with batch norm where every stacked θ has statistics of its own ((P, out) per layer)."""
    layers = unpack(hidden, True, thetas)
    a = x
    for k, layer in enumerate(layers):
        z = a @ layer.weight + layer.bias[..., None, :]
        if k == len(layers) - 1:
            return Pass([], [], [], [], [], [], [], z[..., 0])
        normalized = (z - stats[0][k][:, None, :]) / np.sqrt(stats[1][k][:, None, :] + EPS)
        z = layer.gamma[..., None, :] * normalized + layer.beta[..., None, :]
        a = np.tanh(z) if activation == "tanh" else np.maximum(z, 0.0)
    raise AssertionError("unreachable")


class Adam:
    """Kingma & Ba (2015), Algorithm 1, on a whole vector (torch.optim.Adam, no weight decay)."""

    def __init__(self, n, betas=(0.9, 0.999), eps=1e-8):
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.m, self.v = np.zeros(n), np.zeros(n)
        self.t = 0

    def step(self, theta, g, lr):
        self.t += 1
        self.m = self.beta1 * self.m + (1.0 - self.beta1) * g
        self.v = self.beta2 * self.v + (1.0 - self.beta2) * g * g
        m_hat = self.m / (1.0 - self.beta1 ** self.t)
        v_hat = self.v / (1.0 - self.beta2 ** self.t)
        return theta - lr * m_hat / (np.sqrt(v_hat) + self.eps)


@dataclass
class NumpyTraining:
    path: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    running_mean: list
    running_var: list


def train_adam(hidden, activation, batch_norm, theta, x_train, y_train, x_test, y_test, steps, lr=0.01,
               betas=(0.9, 0.999), eps=1e-8) -> NumpyTraining:
    """Full-batch Adam from θ, recording what ``optimizers.network.train`` records: the path, the training
    loss (batch statistics) and the test loss (batch norm's running averages, momentum 0.1, unbiased variance)."""
    theta = np.array(theta, dtype=float)
    n_train = len(y_train)
    optimizer = Adam(theta.size, betas, eps)
    path = np.empty((steps + 1, theta.size))
    train_loss, test_loss = np.empty(steps + 1), np.empty(steps + 1)
    running_mean = [np.zeros(w) for w in hidden]
    running_var = [np.ones(w) for w in hidden]
    for t in range(steps + 1):
        path[t] = theta
        f, g = loss_and_gradient(hidden, activation, batch_norm, theta, x_train, y_train)
        train_loss[t] = f
        test_loss[t] = loss(hidden, activation, batch_norm, theta, x_test, y_test, (running_mean, running_var))
        if t == steps:
            break
        if batch_norm:
            run = forward(hidden, activation, batch_norm, theta, x_train)
            for k in range(len(hidden)):
                running_mean[k] = (1 - MOMENTUM) * running_mean[k] + MOMENTUM * run.batch_mean[k]
                running_var[k] = (1 - MOMENTUM) * running_var[k] + MOMENTUM * run.batch_var[k] * n_train / (n_train - 1)
        theta = optimizer.step(theta, g, lr)
    return NumpyTraining(path, train_loss, test_loss, running_mean, running_var)


def cosine_factors(iterations: int) -> np.ndarray:
    """torch's CosineAnnealingLR over the whole run, η_min = 0, as multipliers of the base lr."""
    return 0.5 * (1.0 + np.cos(math.pi * np.arange(iterations) / iterations))


def fit_curve(hidden, activation, batch_norm, start, end, x_train, y_train, iterations=1500, seed=0, lr=0.01):
    """Garipov et al. (2018): train the bend θ of (1−t)² w₁ + 2t(1−t) θ + t² w₂, t ~ U[0, 1] each iteration
    (drawn from ``numpy.random.default_rng(seed)``), by Adam with a cosine schedule; the bend starts at
    the midpoint. Returns (bend, the loss each iteration saw)."""
    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    bend = 0.5 * (start + end)
    ts = np.random.default_rng(seed).uniform(0.0, 1.0, iterations)
    factors = cosine_factors(iterations)
    optimizer = Adam(bend.size)
    seen = np.empty(iterations)
    for i, t in enumerate(ts):
        point = (1.0 - t) ** 2 * start + 2.0 * t * (1.0 - t) * bend + t * t * end
        seen[i], g = loss_and_gradient(hidden, activation, batch_norm, point, x_train, y_train)
        bend = optimizer.step(bend, 2.0 * t * (1.0 - t) * g, lr * factors[i])
    return bend, seen
