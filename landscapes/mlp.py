r"""A small multilayer perceptron on two inputs, its loss, and that loss's exact gradient, as Numba kernels.

Two inputs, one to three hidden layers of up to 32 units (tanh or ReLU), one output score s; the
loss is the mean binary cross-entropy of σ(s) against labels y ∈ {0, 1}
(``torch.nn.BCEWithLogitsLoss``), written max(s, 0) − ys + log1p(e^−|s|) so it never overflows:

$$L(\theta) = \frac1B \sum_{i} \big[\log(1 + e^{s_i}) - y_i s_i\big],\qquad \frac{\partial L}{\partial s_i} = \frac{\sigma(s_i) - y_i}{B}$$

Layers are ``torch.nn.Linear`` with its default initialisation (weights and biases uniform in
±1/√fan_in), in the same order as ``model.parameters()``. Batch normalization (Ioffe & Szegedy 2015,
as notes 000 and 002 teach it) sits between a hidden layer's linear map and its activation,
``Linear → BatchNorm1d → activation``: while training it normalises with the batch's own mean and
(biased) variance and keeps running averages (momentum 0.1, the unbiased variance, as
``torch.nn.BatchNorm1d``); at test time it uses those running averages.

**Which function is "the loss landscape" of a network with batch normalization?** It depends on
statistics, not only on θ. Here L(θ) is always the training set's loss with the training set's own
statistics at θ (the full-batch training-mode loss), the function full-batch training descends and
the one mode-connectivity work evaluates after recomputing the statistics (Garipov et al. 2018).

Internal layout: each layer's weight is stored input-major (fan_in × out, the transpose of
torch's ``weight``), so the innermost loops run over contiguous output units and vectorize; a
filter (one unit's incoming weights, a row of torch's weight) is a column here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from ._base import JIT_OPTIONS
from .interpreted import stand_in, twin

MAX_HIDDEN_LAYERS = 3
MAX_UNITS = 32
ACTIVATIONS = ("tanh", "relu")
BN_EPS = 1e-5
BN_MOMENTUM = 0.1
MAX_SEED = 2**31 - 1
_WIDTH = MAX_UNITS  # the buffers' row length: every layer fits


@dataclass(frozen=True)
class Network:
    """An architecture: hidden layer widths, activation and batch normalization. Validated on creation."""

    hidden: tuple = (16, 16)
    activation: str = "tanh"
    batch_norm: bool = False

    def __post_init__(self):
        hidden = self.hidden
        if not isinstance(hidden, (tuple, list)) or not 1 <= len(hidden) <= MAX_HIDDEN_LAYERS:
            raise ValueError(f"Invalid hidden layers: {hidden!r}; expected 1 to {MAX_HIDDEN_LAYERS} layers")
        for width in hidden:
            if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or not 1 <= width <= MAX_UNITS:
                raise ValueError(f"Invalid layer width: {width!r}; each hidden layer has 1 to {MAX_UNITS} units")
        object.__setattr__(self, "hidden", tuple(int(w) for w in hidden))
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"Unknown activation {self.activation!r}; valid: {', '.join(ACTIVATIONS)}")
        if not isinstance(self.batch_norm, (bool, np.bool_)):
            raise ValueError(f"Invalid batch_norm: {self.batch_norm!r}; expected True or False")

    @property
    def widths(self) -> np.ndarray:
        return np.array((2, *self.hidden, 1), dtype=np.int64)

    @property
    def relu(self) -> bool:
        return self.activation == "relu"

    @property
    def offsets(self) -> np.ndarray:
        """(layers, 4): where each layer's weight, bias, BN scale γ and BN shift β start in θ (−1: none)."""
        widths = self.widths
        table = np.full((len(widths) - 1, 4), -1, dtype=np.int64)
        at = 0
        for layer in range(len(widths) - 1):
            fan_in, out = int(widths[layer]), int(widths[layer + 1])
            table[layer, 0], at = at, at + fan_in * out
            table[layer, 1], at = at, at + out
            if self.batch_norm and layer < len(widths) - 2:
                table[layer, 2], at = at, at + out
                table[layer, 3], at = at, at + out
        return table

    @property
    def n_params(self) -> int:
        widths = self.widths
        weights = sum(int(widths[k] * widths[k + 1] + widths[k + 1]) for k in range(len(widths) - 1))
        return weights + (2 * sum(self.hidden) if self.batch_norm else 0)

    def describe(self) -> str:
        shape = "-".join(str(w) for w in self.widths)
        return f"{shape} MLP, {self.activation}" + (", batch norm" if self.batch_norm else "") + f" ({self.n_params} parameters)"

    def filters(self) -> list[np.ndarray]:
        """Indices into θ of every filter (one unit's incoming weights), layer by layer."""
        groups = []
        for layer, (w_at, *_rest) in enumerate(self.offsets):
            fan_in, out = int(self.widths[layer]), int(self.widths[layer + 1])
            for unit in range(out):
                groups.append(w_at + np.arange(fan_in) * out + unit)
        return groups

    def weight_mask(self) -> np.ndarray:
        """True where θ holds a weight of a linear map (not a bias, γ or β)."""
        mask = np.zeros(self.n_params, dtype=bool)
        for layer, (w_at, *_rest) in enumerate(self.offsets):
            mask[w_at:w_at + int(self.widths[layer] * self.widths[layer + 1])] = True
        return mask

    def init(self, seed: int = 0) -> np.ndarray:
        """θ as ``torch.nn.Linear`` initialises it (uniform in ±1/√fan_in), γ = 1 and β = 0, from ``seed``."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
            raise ValueError(f"Invalid seed: {seed!r}; expected a whole number in [0, {MAX_SEED}]")
        rng = np.random.default_rng(seed)
        theta = np.zeros(self.n_params)
        for layer, (w_at, b_at, gamma_at, _beta_at) in enumerate(self.offsets):
            fan_in, out = int(self.widths[layer]), int(self.widths[layer + 1])
            bound = 1.0 / math.sqrt(fan_in)
            theta[w_at:w_at + fan_in * out] = rng.uniform(-bound, bound, fan_in * out)
            theta[b_at:b_at + out] = rng.uniform(-bound, bound, out)
            if gamma_at >= 0:
                theta[gamma_at:gamma_at + out] = 1.0
        return theta

    def torch_weight(self, theta: np.ndarray, layer: int) -> np.ndarray:
        """Layer ``layer``'s weight as torch holds it (out × fan_in)."""
        fan_in, out = int(self.widths[layer]), int(self.widths[layer + 1])
        w_at = int(self.offsets[layer, 0])
        return theta[w_at:w_at + fan_in * out].reshape(fan_in, out).T.copy()


# ----- kernels -------------------------------------------------------------------------------------
@intrinsic
def int_bits_as_float(typingctx, value):
    """The float64 whose bits are the int64 ``value`` (how 2^k is built without a call)."""
    if not isinstance(value, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


_LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two (fdlibm's), so k·ln2 is subtracted exactly
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e+00


@njit(inline="always", **JIT_OPTIONS)
def tanh(x):
    """tanh(x) = e/(e + 2) with e = expm1(2|x|), its sign copied from x; within 4 ulp of the C library's
    (tests/test_network.py) and a call-free loop that vectorizes: the C library's tanh cost 25 ns and made
    a 61 x 61 tanh slice take 1.2 s, 90 % of it in tanh; this one costs 4.5 ns.

    expm1(u) = 2^k (expm1(r) + 1) − 1 with u = k ln 2 + r, |r| ≤ ½ ln 2 (Cody & Waite's reduction), expm1(r)
    by its Taylor series to r¹⁴ (truncation below 1e-17 relative); u is capped at 44, where tanh is 1."""
    u = min(2.0 * abs(x), 44.0)
    k = np.floor(u * _INV_LN2 + 0.5)
    r = (u - k * _LN2_HI) - k * _LN2_LO
    p = 1.0 / 87178291200.0
    p = p * r + 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    expm1_r = r + r * r * p
    scale = int_bits_as_float((np.int64(k) + 1023) << 52)
    e = scale * expm1_r + (scale - 1.0)
    return math.copysign(e / (e + 2.0), x)


@njit(inline="always", **JIT_OPTIONS)
def softplus_loss(s, y):
    """(loss, dloss/ds) of one example: log(1 + e^s) − ys and σ(s) − y, overflow-free."""
    loss = max(s, 0.0) - y * s + math.log1p(math.exp(-abs(s)))
    return loss, 0.5 * (1.0 + math.tanh(0.5 * s)) - y


@njit(**JIT_OPTIONS)
def forward(theta, widths, offsets, relu, batch_norm, given_stats, x, rows, stat_mean, stat_var, acts, normed, inv_std):
    """Fill ``acts[l, j, i]`` with unit j of layer l for example ``rows[i]`` (acts[0]: the inputs,
    acts[-1][0]: the scores). With batch norm, ``given_stats`` False normalises with the batch's own
    mean and biased variance and writes them to ``stat_mean``/``stat_var``; True uses those arrays.

    Unit-major buffers: every inner loop runs over the batch, contiguous, and vectorizes
    (example-major, 16-unit inner loops: 0.50 s for a 61 x 61 ReLU slice on 625 points; unit-major: 0.2 s)."""
    layers = widths.shape[0] - 1
    batch = rows.shape[0]
    for i in range(batch):
        acts[0, 0, i] = x[rows[i], 0]
        acts[0, 1, i] = x[rows[i], 1]
    for layer in range(layers):
        fan_in = widths[layer]
        out = widths[layer + 1]
        w_at = offsets[layer, 0]
        b_at = offsets[layer, 1]
        for j in range(out):
            z = acts[layer + 1, j]
            bias = theta[b_at + j]
            for i in range(batch):
                z[i] = bias
            for k in range(fan_in):
                w = theta[w_at + k * out + j]
                a = acts[layer, k]
                for i in range(batch):
                    z[i] += w * a[i]
            if layer == layers - 1:
                continue
            if batch_norm:
                if given_stats:
                    mean = stat_mean[layer, j]
                    var = stat_var[layer, j]
                else:
                    mean = 0.0
                    for i in range(batch):
                        mean += z[i]
                    mean /= batch
                    var = 0.0
                    for i in range(batch):
                        var += (z[i] - mean) ** 2
                    var /= batch
                    stat_mean[layer, j] = mean
                    stat_var[layer, j] = var
                inv = 1.0 / math.sqrt(var + BN_EPS)
                inv_std[layer, j] = inv
                gamma = theta[offsets[layer, 2] + j]
                beta = theta[offsets[layer, 3] + j]
                n = normed[layer, j]
                for i in range(batch):
                    n[i] = (z[i] - mean) * inv
                    z[i] = gamma * n[i] + beta
            if relu:
                for i in range(batch):
                    z[i] = max(z[i], 0.0)
            else:
                for i in range(batch):
                    z[i] = tanh(z[i])


@njit(**JIT_OPTIONS)
def mean_loss(widths, y, rows, acts):
    """(mean loss, accuracy) of the scores ``forward`` left in ``acts``."""
    layers = widths.shape[0] - 1
    batch = rows.shape[0]
    total = 0.0
    right = 0
    for i in range(batch):
        s = acts[layers, 0, i]
        target = y[rows[i]]
        total += softplus_loss(s, target)[0]
        right += 1 if (s > 0.0) == (target > 0.5) else 0
    return total / batch, right / batch


# Sums over the batch may be reordered (reassoc) so that they vectorize: 2,000 full-batch steps of a
# 2-16-16-1 network took 0.9 s with in-order sums, which are one long chain of dependent additions.
@njit(fastmath={"reassoc"}, **JIT_OPTIONS)
def backward(theta, widths, offsets, relu, batch_norm, y, rows, acts, normed, inv_std, grad, delta, upstream):
    """The gradient of the batch's mean loss at the ``forward`` pass in ``acts`` (batch statistics), into ``grad``.

    ``delta`` and ``upstream`` are (32, batch) scratch: the loss's derivative by a layer's linear
    output, and by its input."""
    layers = widths.shape[0] - 1
    batch = rows.shape[0]
    for i in range(batch):
        delta[0, i] = softplus_loss(acts[layers, 0, i], y[rows[i]])[1] / batch
    for layer in range(layers - 1, -1, -1):
        fan_in = widths[layer]
        out = widths[layer + 1]
        w_at = offsets[layer, 0]
        b_at = offsets[layer, 1]
        for j in range(out):
            d = delta[j]
            total = 0.0
            for i in range(batch):
                total += d[i]
            grad[b_at + j] = total
            for k in range(fan_in):
                a = acts[layer, k]
                total = 0.0
                for i in range(batch):
                    total += a[i] * d[i]
                grad[w_at + k * out + j] = total
        if layer == 0:
            break
        for k in range(fan_in):
            u = upstream[k]
            for i in range(batch):
                u[i] = 0.0
            for j in range(out):
                w = theta[w_at + k * out + j]
                d = delta[j]
                for i in range(batch):
                    u[i] += w * d[i]
            a = acts[layer, k]
            if relu:
                for i in range(batch):
                    u[i] = u[i] if a[i] > 0.0 else 0.0
            else:
                for i in range(batch):
                    u[i] = u[i] * (1.0 - a[i] * a[i])
        hidden = layer - 1
        for k in range(fan_in):
            u = upstream[k]
            d = delta[k]
            if batch_norm:
                n = normed[hidden, k]
                sum_dy = 0.0
                sum_dy_n = 0.0
                for i in range(batch):
                    sum_dy += u[i]
                    sum_dy_n += u[i] * n[i]
                grad[offsets[hidden, 3] + k] = sum_dy
                grad[offsets[hidden, 2] + k] = sum_dy_n
                scale = theta[offsets[hidden, 2] + k] * inv_std[hidden, k]
                mean_dy = sum_dy / batch
                mean_dy_n = sum_dy_n / batch
                for i in range(batch):
                    d[i] = scale * (u[i] - mean_dy - n[i] * mean_dy_n)
            else:
                for i in range(batch):
                    d[i] = u[i]


@njit(**JIT_OPTIONS)
def buffers(layers, batch):
    """Scratch space of one forward and backward pass over ``batch`` examples."""
    return (np.empty((layers + 1, _WIDTH, batch)), np.empty((layers, _WIDTH, batch)), np.ones((layers, _WIDTH)),
            np.empty((_WIDTH, batch)), np.empty((_WIDTH, batch)))


@njit(**JIT_OPTIONS)
def loss_at(theta, widths, offsets, relu, batch_norm, x_train, y_train, x_test, y_test, scratch_train, scratch_test,
            stat_mean, stat_var):
    """(train loss, train accuracy, test loss, test accuracy) at θ, batch norm with the training set's statistics."""
    layers = widths.shape[0] - 1
    train_rows = np.arange(y_train.shape[0])
    test_rows = np.arange(y_test.shape[0])
    acts, normed, inv_std, _, _ = scratch_train
    forward(theta, widths, offsets, relu, batch_norm, False, x_train, train_rows, stat_mean, stat_var, acts, normed, inv_std)
    train_loss, train_acc = mean_loss(widths, y_train, train_rows, acts)
    acts, normed, inv_std, _, _ = scratch_test
    forward(theta, widths, offsets, relu, batch_norm, True, x_test, test_rows, stat_mean, stat_var, acts, normed, inv_std)
    test_loss, test_acc = mean_loss(widths, y_test, test_rows, acts)
    return train_loss, train_acc, test_loss, test_acc


@njit(parallel=True, **JIT_OPTIONS)
def losses_on_span(base, directions, coefficients, widths, offsets, relu, batch_norm, x_train, y_train, x_test, y_test,
                   chunks, out):
    """out[p] = (train loss, train accuracy, test loss, test accuracy) at θ = base + coefficients[p] · directions,
    in ``chunks`` parallel pieces (numba.get_num_threads() inside would keep the kernel out of the disk cache)."""
    points = coefficients.shape[0]
    n = base.shape[0]
    layers = widths.shape[0] - 1
    for chunk in prange(chunks):
        theta = np.empty(n)
        scratch_train = buffers(layers, y_train.shape[0])
        scratch_test = buffers(layers, y_test.shape[0])
        stat_mean = np.zeros((layers, _WIDTH))
        stat_var = np.ones((layers, _WIDTH))
        for p in range(chunk, points, chunks):
            # whole-array statements, not loops over q: the same machine code, and the interpreted twin's
            # 61 x 61 slice takes 1 s less
            theta[:] = base
            for d in range(directions.shape[0]):
                theta += coefficients[p, d] * directions[d]
            result = loss_at(theta, widths, offsets, relu, batch_norm, x_train, y_train, x_test, y_test,
                             scratch_train, scratch_test, stat_mean, stat_var)
            for r in range(4):
                out[p, r] = result[r]


@njit(**JIT_OPTIONS)
def loss_and_grad(theta, widths, offsets, relu, batch_norm, x, y, rows, grad):
    """The mean loss of ``rows`` at θ (batch statistics) and its gradient, in ``grad``."""
    layers = widths.shape[0] - 1
    acts, normed, inv_std, delta, upstream = buffers(layers, rows.shape[0])
    stat_mean = np.zeros((layers, _WIDTH))
    stat_var = np.ones((layers, _WIDTH))
    forward(theta, widths, offsets, relu, batch_norm, False, x, rows, stat_mean, stat_var, acts, normed, inv_std)
    loss = mean_loss(widths, y, rows, acts)[0]
    backward(theta, widths, offsets, relu, batch_norm, y, rows, acts, normed, inv_std, grad, delta, upstream)
    return loss


@njit(**JIT_OPTIONS)
def scores(theta, widths, offsets, relu, batch_norm, points, stat_mean, stat_var):
    """The network's output score at each of ``points`` (n × 2), batch norm with the given statistics."""
    layers = widths.shape[0] - 1
    rows = np.arange(points.shape[0])
    acts, normed, inv_std, _, _ = buffers(layers, rows.shape[0])
    forward(theta, widths, offsets, relu, batch_norm, True, points, rows, stat_mean, stat_var, acts, normed, inv_std)
    return acts[layers, 0].copy()


@njit(**JIT_OPTIONS)
def training_statistics(theta, widths, offsets, relu, batch_norm, x_train):
    """Each hidden layer's mean and biased variance over the whole training set at θ (batch norm's inputs)."""
    layers = widths.shape[0] - 1
    rows = np.arange(x_train.shape[0])
    acts, normed, inv_std, _, _ = buffers(layers, rows.shape[0])
    stat_mean = np.zeros((layers, _WIDTH))
    stat_var = np.ones((layers, _WIDTH))
    forward(theta, widths, offsets, relu, batch_norm, False, x_train, rows, stat_mean, stat_var, acts, normed, inv_std)
    return stat_mean, stat_var


# ----- the passes in NumPy: the kernels' interpreted twins use these ----------------------------------
# The training step's kernel takes ~11 s to compile on a new server; its interpreted twin
# (``landscapes.interpreted``) runs a page's first trainings meanwhile, with these whole-array passes
# in place of the kernels' loops (a twin of the loops would take minutes). Same buffers, same
# results to within the rounding of sums taken in another order (tests/test_network.py).
def forward_in_numpy(theta, widths, offsets, relu, batch_norm, given_stats, x, rows, stat_mean, stat_var, acts, normed,
                     inv_std):
    """``forward``, layer by layer as matrix products."""
    layers = len(widths) - 1
    batch = len(rows)
    acts[0, :2, :batch] = x[rows].T
    for layer in range(layers):
        fan_in, out = int(widths[layer]), int(widths[layer + 1])
        w_at, b_at, gamma_at, beta_at = (int(at) for at in offsets[layer])
        z = theta[w_at:w_at + fan_in * out].reshape(fan_in, out).T @ acts[layer, :fan_in, :batch]
        z += theta[b_at:b_at + out, None]
        if layer < layers - 1:
            if batch_norm:
                if given_stats:
                    mean, var = stat_mean[layer, :out], stat_var[layer, :out]
                else:
                    mean = z.mean(axis=1)
                    var = ((z - mean[:, None]) ** 2).mean(axis=1)
                    stat_mean[layer, :out] = mean
                    stat_var[layer, :out] = var
                inv = 1.0 / np.sqrt(var + BN_EPS)
                inv_std[layer, :out] = inv
                normed[layer, :out, :batch] = (z - mean[:, None]) * inv[:, None]
                z = theta[gamma_at:gamma_at + out, None] * normed[layer, :out, :batch] + theta[beta_at:beta_at + out, None]
            z = np.maximum(z, 0.0) if relu else np.tanh(z)
        acts[layer + 1, :out, :batch] = z


def mean_loss_in_numpy(widths, y, rows, acts):
    """``mean_loss`` over whole arrays."""
    batch = len(rows)
    s = acts[len(widths) - 1, 0, :batch]
    target = y[rows]
    losses = np.maximum(s, 0.0) - target * s + np.log1p(np.exp(-np.abs(s)))
    return losses.sum() / batch, np.count_nonzero((s > 0.0) == (target > 0.5)) / batch


def backward_in_numpy(theta, widths, offsets, relu, batch_norm, y, rows, acts, normed, inv_std, grad, delta, upstream):
    """``backward``, layer by layer as matrix products (``delta`` and ``upstream`` unused)."""
    layers = len(widths) - 1
    batch = len(rows)
    d = ((0.5 * (1.0 + np.tanh(0.5 * acts[layers, 0, :batch])) - y[rows]) / batch)[None, :]
    for layer in range(layers - 1, -1, -1):
        fan_in, out = int(widths[layer]), int(widths[layer + 1])
        w_at, b_at = int(offsets[layer, 0]), int(offsets[layer, 1])
        a = acts[layer, :fan_in, :batch]
        grad[b_at:b_at + out] = d.sum(axis=1)
        grad[w_at:w_at + fan_in * out] = (a @ d.T).ravel()
        if layer == 0:
            break
        u = theta[w_at:w_at + fan_in * out].reshape(fan_in, out) @ d
        u = np.where(a > 0.0, u, 0.0) if relu else u * (1.0 - a * a)
        if not batch_norm:
            d = u
            continue
        hidden = layer - 1
        gamma_at, beta_at = int(offsets[hidden, 2]), int(offsets[hidden, 3])
        n = normed[hidden, :fan_in, :batch]
        sum_dy, sum_dy_n = u.sum(axis=1), (u * n).sum(axis=1)
        grad[beta_at:beta_at + fan_in] = sum_dy
        grad[gamma_at:gamma_at + fan_in] = sum_dy_n
        scale = theta[gamma_at:gamma_at + fan_in] * inv_std[hidden, :fan_in]
        d = scale[:, None] * (u - (sum_dy / batch)[:, None] - n * (sum_dy_n / batch)[:, None])


stand_in(forward, forward_in_numpy)
stand_in(mean_loss, mean_loss_in_numpy)
stand_in(backward, backward_in_numpy)
stand_in(prange, range)


# ----- the Python boundary -------------------------------------------------------------------------
def _checked_theta(network: Network, theta) -> np.ndarray:
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    if theta.shape != (network.n_params,):
        raise ValueError(f"θ has shape {theta.shape}; this network has {network.n_params} parameters")
    return theta


def loss_and_gradient(network: Network, theta, x, y) -> tuple[float, np.ndarray]:
    """Mean loss over all of (x, y) at θ, with batch statistics, and its exact gradient."""
    theta = _checked_theta(network, theta)
    grad = np.empty(network.n_params)
    loss = loss_and_grad(theta, network.widths, network.offsets, network.relu, network.batch_norm,
                         np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64),
                         np.arange(len(y)), grad)
    return float(loss), grad


def evaluate_span(network: Network, data, base, directions, coefficients, interpreted: bool = False) -> np.ndarray:
    """(P, 4): train loss, train accuracy, test loss, test accuracy at base + coefficients[p] · directions,
    batch norm with the training set's statistics at each point. ``interpreted``: by the kernel's interpreted
    twin (the passes in NumPy: 1.6 s for a 61 x 61 slice of the default network), while the kernel compiles."""
    base = _checked_theta(network, base)
    directions = np.ascontiguousarray(np.atleast_2d(directions), dtype=np.float64)
    if directions.ndim != 2 or directions.shape[1] != network.n_params:
        raise ValueError(f"The directions have shape {directions.shape}; this network has {network.n_params} parameters")
    coefficients = np.ascontiguousarray(coefficients, dtype=np.float64).reshape(-1, directions.shape[0])
    out = np.empty((coefficients.shape[0], 4))
    (twin(losses_on_span) if interpreted else losses_on_span)(
        base, directions, coefficients, network.widths, network.offsets, network.relu, network.batch_norm,
        data.x_train, data.y_train, data.x_test, data.y_test, max(1, min(coefficients.shape[0], 4 * numba.get_num_threads())),
        out)
    return out


def kernels_ready(predictions_only: bool = False) -> bool:
    """Whether the predictions (``predictions_only``: and the loss over a span) run without compiling here."""
    return bool(scores.overloads) and (predictions_only or bool(losses_on_span.overloads))


def predict_scores(network: Network, theta, points, stat_mean=None, stat_var=None, interpreted: bool = False) -> np.ndarray:
    """The output score at ``points``; batch norm with the given statistics (default: the running averages' start).
    ``interpreted``: by the kernel's interpreted twin (the passes in NumPy), while the kernel compiles."""
    theta = _checked_theta(network, theta)
    layers = len(network.widths) - 1
    stat_mean = np.zeros((layers, _WIDTH)) if stat_mean is None else np.ascontiguousarray(stat_mean)
    stat_var = np.ones((layers, _WIDTH)) if stat_var is None else np.ascontiguousarray(stat_var)
    return (twin(scores) if interpreted else scores)(theta, network.widths, network.offsets, network.relu,
                                                     network.batch_norm, np.ascontiguousarray(points, dtype=np.float64),
                                                     stat_mean, stat_var)


def statistics_of(network: Network, theta, x_train) -> tuple[np.ndarray, np.ndarray]:
    """Batch norm's statistics over the whole training set at θ: (mean, variance), each (layers, 32)."""
    return training_statistics(_checked_theta(network, theta), network.widths, network.offsets, network.relu,
                               network.batch_norm, np.ascontiguousarray(x_train, dtype=np.float64))


STATS_SHAPE = (MAX_HIDDEN_LAYERS + 1, _WIDTH)  # what the running averages of any network fit in

__all__ = ["ACTIVATIONS", "BN_EPS", "BN_MOMENTUM", "MAX_HIDDEN_LAYERS", "MAX_UNITS", "Network", "backward", "buffers",
           "evaluate_span", "forward", "kernels_ready", "loss_and_gradient", "loss_at", "mean_loss", "predict_scores", "statistics_of"]
