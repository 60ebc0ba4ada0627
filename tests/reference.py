r"""Plain-Python reference implementations of the optimizer engine, for the tests only.

Everything here is written from the published algorithms, not from the engine's code:

* the first-order optimizers from the algorithm boxes of the ``torch.optim`` documentation
  (SGD, Adagrad, RMSprop, Adam, AdamW, NAdam), one box per class, one line per line of the box;
* L-BFGS from ``torch/optim/lbfgs.py`` (``LBFGS.step`` with ``max_iter=1``, ``_strong_wolfe``,
  ``_cubic_interpolate``), keeping torch's lists (``bracket``, ``old_dirs``) and names;
* Newton with the eigenvalue floor documented in ``optimizers/newton.py``, through
  ``numpy.linalg.eigh`` rather than the engine's closed form;
* the learning-rate schedules documented in ``optimizers/_schedules.py``, the gradient oracle
  (counter-based Gaussian noise, then ``clip_grad_value_``, then ``clip_grad_norm_``) and the
  driver loop with its divergence rule.

Vectors are lists of two floats and loops run over the coordinates: slow, but every line can be
checked against its formula. The surfaces' own ``f``, ``grad`` and ``hessian`` are used as given
(they are tested against finite differences elsewhere).

Python floats raise where IEEE arithmetic (and so the engine) quietly returns inf or NaN:
``_divide`` and ``_sqrt`` restore IEEE behaviour at the few places where that can happen.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import landscapes

COORDINATES = (0, 1)


# ----- IEEE arithmetic for plain floats -------------------------------------------------------
def _divide(a: float, b: float) -> float:
    """a / b with IEEE semantics: x/0 is ±inf, 0/0 is NaN (Python would raise)."""
    if b != 0.0:
        return a / b
    if a == 0.0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _sqrt(a: float) -> float:
    """sqrt with IEEE semantics: NaN below zero (Python would raise)."""
    return math.sqrt(a) if a >= 0.0 else math.nan


def _dot(u, v) -> float:
    return sum(u[i] * v[i] for i in COORDINATES)


def _is_finite(*values) -> bool:
    return all(math.isfinite(v) for v in values)


# ----- learning-rate schedules (optimizers/_schedules.py, as multipliers of the base lr) -------
SCHEDULE_DEFAULTS = {
    "constant": {},
    "step": {"step_size": 100, "gamma": 0.5},
    "exponential": {"gamma": 0.99},
    "inverse_time": {"decay": 0.01},
    "linear": {"tau": 100, "end_factor": 0.01},
    "cosine": {"t_max": 0, "min_factor": 0.0},
}


def _schedule_settings(schedule) -> tuple[str, dict]:
    if schedule is None:
        return "constant", {}
    if isinstance(schedule, str):
        return schedule, dict(SCHEDULE_DEFAULTS[schedule])
    name = schedule["name"]
    settings = dict(SCHEDULE_DEFAULTS[name])
    settings.update({k: v for k, v in schedule.items() if k != "name"})
    return name, settings


def schedule_factor(schedule, t: int, steps: int) -> float:
    """The multiplier of the base learning rate used by step t (t = 0, 1, ..., steps - 1)."""
    name, s = _schedule_settings(schedule)
    if name == "constant":
        return 1.0
    if name == "step":  # StepLR: multiply by gamma every step_size steps
        return s["gamma"] ** (t // s["step_size"])
    if name == "exponential":  # ExponentialLR
        return s["gamma"] ** t
    if name == "inverse_time":  # CS231n's 1/t decay
        return 1.0 / (1.0 + s["decay"] * t)
    if name == "linear":  # Goodfellow 8.3.1: eps_k = (1 - a) eps_0 + a eps_tau, a = k / tau, then constant
        if t >= s["tau"]:
            return s["end_factor"]
        alpha = t / s["tau"]
        return (1.0 - alpha) * 1.0 + alpha * s["end_factor"]
    if name == "cosine":  # CosineAnnealingLR, held at eta_min after T
        t_max = s["t_max"] if s["t_max"] > 0 else steps
        eta_min = s["min_factor"]
        return eta_min + 0.5 * (1.0 - eta_min) * (1.0 + math.cos(math.pi * min(t, t_max) / t_max))
    raise KeyError(name)


def schedule_factors(schedule, steps: int) -> list[float]:
    return [schedule_factor(schedule, t, steps) for t in range(steps)]


# ----- the gradient oracle: noise, then clip by value, then clip by norm -----------------------
MASK64 = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15


def splitmix64(z: int) -> int:
    """Steele, Lea & Flood's SplitMix64 finalizer on a 64-bit unsigned integer."""
    z = (z + GOLDEN_GAMMA) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def normal_pair(seed: int, t: int, j: int) -> tuple[float, float]:
    """Two standard normals for (seed, step t, evaluation j): hash to two uniforms, then Box-Muller."""
    key = splitmix64((seed * GOLDEN_GAMMA + t) & MASK64)
    u = splitmix64((key + 2 * j) & MASK64)
    v = splitmix64((key + 2 * j + 1) & MASK64)
    u1 = ((u >> 11) + 1) / 2.0**53  # in (0, 1], so log(u1) is finite
    u2 = (v >> 11) / 2.0**53  # in [0, 1)
    radius = math.sqrt(-2.0 * math.log(u1))
    return radius * math.cos(2.0 * math.pi * u2), radius * math.sin(2.0 * math.pi * u2)


def clip_grad_value(g, clip_value: float):
    """torch.nn.utils.clip_grad_value_: clamp every coordinate into [-clip_value, clip_value]."""
    return [min(max(g_i, -clip_value), clip_value) for g_i in g]


def clip_grad_norm(g, max_norm: float):
    """torch.nn.utils.clip_grad_norm_: scale by clamp(max_norm / (||g|| + 1e-6), max=1)."""
    total_norm = math.sqrt(_dot(g, g))
    clip_coef = _divide(max_norm, total_norm + 1e-6)
    clip_coef_clamped = min(clip_coef, 1.0)
    return [g_i * clip_coef_clamped for g_i in g]


def _off_if_none_or_inf(threshold):
    return None if threshold is None or math.isinf(threshold) else float(threshold)


def gradient_seen(g, seed, t, j, noise=0.0, clip_value=None, clip_norm=None):
    """The gradient an optimizer receives: exact gradient + noise * N(0, I), then clipped."""
    g = list(g)
    if noise > 0.0:
        z = normal_pair(seed, t, j)
        g = [g[i] + noise * z[i] for i in COORDINATES]
    clip_value, clip_norm = _off_if_none_or_inf(clip_value), _off_if_none_or_inf(clip_norm)
    if clip_value is not None:
        g = clip_grad_value(g, clip_value)
    if clip_norm is not None:
        g = clip_grad_norm(g, clip_norm)
    return g


class StepOracle:
    """What the update rule of one step may ask of the surface besides the gradient it was given.

    Line-search evaluations are numbered j = 1, 2, ... within the step (j = 0 is the gradient
    the driver hands over) and draw their noise from the counter (seed, ``step``, j), where
    ``step`` is the 1-based step count the update rule receives (the engine's convention).
    """

    def __init__(self, surface, step, seed, noise, clip_value, clip_norm):
        self.surface, self.step = surface, step
        self.seed, self.noise, self.clip_value, self.clip_norm = seed, noise, clip_value, clip_norm
        self.evaluations = 0

    def hessian(self, theta):
        return np.asarray(self.surface.hessian(theta[0], theta[1]), dtype=float)

    def loss_and_gradient(self, theta):
        self.evaluations += 1
        f = self.surface.f(theta[0], theta[1])
        g = gradient_seen(self.surface.grad(theta[0], theta[1]), self.seed, self.step, self.evaluations,
                          self.noise, self.clip_value, self.clip_norm)
        return f, g


# ----- first-order optimizers: the torch.optim algorithm boxes --------------------------------
class SGD:
    r"""torch.optim.SGD.

    g_t <- g_t + lambda theta_{t-1}                                   (if lambda != 0)
    b_t <- mu b_{t-1} + (1 - tau) g_t  (t > 1),   b_t <- g_t  (t = 1) (if mu != 0)
    g_t <- g_t + mu b_t  (nesterov)   or   g_t <- b_t
    theta_t <- theta_{t-1} - gamma g_t

    Annealing (not in torch's box; UvA lecture 3): with momentum_warmup T > 0, step t uses
    mu_t = mu_0 + (mu - mu_0) (t - 1) / T for t <= T, as a loop setting param_group["momentum"] would.
    """

    def __init__(self, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, momentum_start=0.5,
                 momentum_warmup=0):
        self.mu, self.tau, self.lam, self.nesterov = momentum, dampening, weight_decay, nesterov
        self.mu_final, self.mu_start, self.warmup = momentum, momentum_start, momentum_warmup
        self.b = [0.0, 0.0]

    def step(self, t, theta, loss, g, gamma, oracle):
        if self.warmup and t <= self.warmup:
            self.mu = self.mu_start + (self.mu_final - self.mu_start) * (t - 1) / self.warmup
        else:
            self.mu = self.mu_final
        new_theta = []
        for i in COORDINATES:
            g_t = g[i]
            if self.lam != 0:
                g_t = g_t + self.lam * theta[i]
            if self.mu != 0:
                if t > 1:
                    self.b[i] = self.mu * self.b[i] + (1 - self.tau) * g_t
                else:
                    self.b[i] = g_t
                if self.nesterov:
                    g_t = g_t + self.mu * self.b[i]
                else:
                    g_t = self.b[i]
            new_theta.append(theta[i] - gamma * g_t)
        return new_theta


class Adagrad:
    r"""torch.optim.Adagrad.

    state_sum_0 <- initial_accumulator_value
    gamma~ <- gamma / (1 + (t - 1) eta)
    g_t <- g_t + lambda theta_{t-1}                                   (if lambda != 0)
    state_sum_t <- state_sum_{t-1} + g_t^2
    theta_t <- theta_{t-1} - gamma~ g_t / (sqrt(state_sum_t) + eps)
    """

    def __init__(self, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        self.eta, self.lam, self.eps = lr_decay, weight_decay, eps
        self.state_sum = [initial_accumulator_value, initial_accumulator_value]

    def step(self, t, theta, loss, g, gamma, oracle):
        gamma_tilde = gamma / (1 + (t - 1) * self.eta)
        new_theta = []
        for i in COORDINATES:
            g_t = g[i]
            if self.lam != 0:
                g_t = g_t + self.lam * theta[i]
            self.state_sum[i] = self.state_sum[i] + g_t * g_t
            new_theta.append(theta[i] - gamma_tilde * g_t / (math.sqrt(self.state_sum[i]) + self.eps))
        return new_theta


class RMSprop:
    r"""torch.optim.RMSprop.

    g_t <- g_t + lambda theta_{t-1}                                   (if lambda != 0)
    v_t <- alpha v_{t-1} + (1 - alpha) g_t^2,   v~_t <- v_t
    if centered: g^ave_t <- alpha g^ave_{t-1} + (1 - alpha) g_t,   v~_t <- v~_t - (g^ave_t)^2
    if mu > 0:   b_t <- mu b_{t-1} + g_t / (sqrt(v~_t) + eps),   theta_t <- theta_{t-1} - gamma b_t
    else:        theta_t <- theta_{t-1} - gamma g_t / (sqrt(v~_t) + eps)
    """

    def __init__(self, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        self.alpha, self.eps, self.lam, self.mu, self.centered = alpha, eps, weight_decay, momentum, centered
        self.v, self.g_ave, self.b = [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]

    def step(self, t, theta, loss, g, gamma, oracle):
        new_theta = []
        for i in COORDINATES:
            g_t = g[i]
            if self.lam != 0:
                g_t = g_t + self.lam * theta[i]
            self.v[i] = self.alpha * self.v[i] + (1 - self.alpha) * g_t * g_t
            v_tilde = self.v[i]
            if self.centered:
                self.g_ave[i] = self.alpha * self.g_ave[i] + (1 - self.alpha) * g_t
                v_tilde = v_tilde - self.g_ave[i] * self.g_ave[i]
            if self.mu > 0:
                self.b[i] = self.mu * self.b[i] + g_t / (_sqrt(v_tilde) + self.eps)
                new_theta.append(theta[i] - gamma * self.b[i])
            else:
                new_theta.append(theta[i] - gamma * g_t / (_sqrt(v_tilde) + self.eps))
        return new_theta


class Adam:
    r"""torch.optim.Adam (the current box: AMSGrad keeps the maximum of the uncorrected v).

    g_t <- g_t + lambda theta_{t-1}                                   (if lambda != 0)
    m_t <- beta1 m_{t-1} + (1 - beta1) g_t
    v_t <- beta2 v_{t-1} + (1 - beta2) g_t^2
    m^_t <- m_t / (1 - beta1^t)
    if amsgrad: v_t^max <- max(v_{t-1}^max, v_t),   v^_t <- v_t^max / (1 - beta2^t)
    else:       v^_t <- v_t / (1 - beta2^t)
    theta_t <- theta_{t-1} - gamma m^_t / (sqrt(v^_t) + eps)
    """

    def __init__(self, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        (self.beta1, self.beta2), self.eps, self.lam, self.amsgrad = betas, eps, weight_decay, amsgrad
        self.m, self.v, self.v_max = [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]

    def moments(self, i, g_t):
        self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g_t
        self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g_t * g_t
        if self.amsgrad:
            self.v_max[i] = max(self.v_max[i], self.v[i])
            return self.m[i], self.v_max[i]
        return self.m[i], self.v[i]

    def step(self, t, theta, loss, g, gamma, oracle):
        new_theta = []
        for i in COORDINATES:
            g_t = g[i]
            if self.lam != 0:
                g_t = g_t + self.lam * theta[i]
            m_t, v_t = self.moments(i, g_t)
            m_hat = m_t / (1 - self.beta1**t)
            v_hat = v_t / (1 - self.beta2**t)
            new_theta.append(theta[i] - gamma * m_hat / (math.sqrt(v_hat) + self.eps))
        return new_theta


class AdamW(Adam):
    r"""torch.optim.AdamW: Adam with decoupled weight decay.

    theta_t <- theta_{t-1} - gamma lambda theta_{t-1}
    m_t, v_t, m^_t, v^_t as in Adam (without the L2 term in g_t)
    theta_t <- theta_t - gamma m^_t / (sqrt(v^_t) + eps)
    """

    def __init__(self, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(betas, eps, 0.0, amsgrad)
        self.decoupled_lam = weight_decay

    def step(self, t, theta, loss, g, gamma, oracle):
        theta = [theta[i] - gamma * self.decoupled_lam * theta[i] for i in COORDINATES]
        return super().step(t, theta, loss, g, gamma, oracle)


class AdamWithoutBiasCorrection(Adam):
    r"""Adam with both bias corrections removed (CS231n lecture 6's "incomplete" Adam).

    theta_t <- theta_{t-1} - gamma m_t / (sqrt(v_t) + eps), with v_t^max under AMSGrad.
    """

    def step(self, t, theta, loss, g, gamma, oracle):
        new_theta = []
        for i in COORDINATES:
            g_t = g[i]
            if self.lam != 0:
                g_t = g_t + self.lam * theta[i]
            m_t, v_t = self.moments(i, g_t)
            new_theta.append(theta[i] - gamma * m_t / (math.sqrt(v_t) + self.eps))
        return new_theta


class NAdam:
    r"""torch.optim.NAdam.

    if lambda != 0: theta_t <- theta_{t-1} - gamma lambda theta_{t-1} (decoupled)
                    or g_t <- g_t + lambda theta_{t-1}
    mu_t <- beta1 (1 - 0.5 * 0.96^(t psi)),   mu_{t+1} <- beta1 (1 - 0.5 * 0.96^((t+1) psi))
    m_t <- beta1 m_{t-1} + (1 - beta1) g_t,   v_t <- beta2 v_{t-1} + (1 - beta2) g_t^2
    m^_t <- mu_{t+1} m_t / (1 - prod_{i<=t+1} mu_i) + (1 - mu_t) g_t / (1 - prod_{i<=t} mu_i)
    v^_t <- v_t / (1 - beta2^t)
    theta_t <- theta_t - gamma m^_t / (sqrt(v^_t) + eps)
    """

    def __init__(self, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled_weight_decay=False):
        (self.beta1, self.beta2), self.eps, self.lam, self.psi = betas, eps, weight_decay, momentum_decay
        self.decoupled = decoupled_weight_decay
        self.m, self.v = [0.0, 0.0], [0.0, 0.0]
        self.mu_product = 1.0  # prod_{i <= t} mu_i

    def mu(self, t):
        return self.beta1 * (1 - 0.5 * 0.96 ** (t * self.psi))

    def step(self, t, theta, loss, g, gamma, oracle):
        theta = list(theta)
        g = list(g)
        if self.lam != 0:
            if self.decoupled:
                theta = [theta[i] - gamma * self.lam * theta[i] for i in COORDINATES]
            else:
                g = [g[i] + self.lam * theta[i] for i in COORDINATES]
        mu_t, mu_next = self.mu(t), self.mu(t + 1)
        self.mu_product *= mu_t
        product_next = self.mu_product * mu_next
        new_theta = []
        for i in COORDINATES:
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g[i]
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g[i] * g[i]
            m_hat = mu_next * self.m[i] / (1 - product_next) + (1 - mu_t) * g[i] / (1 - self.mu_product)
            v_hat = self.v[i] / (1 - self.beta2**t)
            new_theta.append(theta[i] - gamma * m_hat / (math.sqrt(v_hat) + self.eps))
        return new_theta


class Adamax:
    r"""torch.optim.Adamax (docs' algorithm box).

    g_t <- g_t + lambda theta_{t-1}                                   (if lambda != 0)
    m_t <- beta1 m_{t-1} + (1 - beta1) g_t
    u_t <- max(beta2 u_{t-1}, |g_t| + eps)
    theta_t <- theta_{t-1} - gamma m_t / ((1 - beta1^t) u_t)
    """

    def __init__(self, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        (self.beta1, self.beta2), self.eps, self.lam = betas, eps, weight_decay
        self.m, self.u = [0.0, 0.0], [0.0, 0.0]

    def step(self, t, theta, loss, g, gamma, oracle):
        new_theta = []
        for i in COORDINATES:
            g_t = g[i] + self.lam * theta[i] if self.lam != 0 else g[i]
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g_t
            self.u[i] = max(self.beta2 * self.u[i], abs(g_t) + self.eps)
            new_theta.append(theta[i] - gamma / (1 - self.beta1**t) * self.m[i] / self.u[i])
        return new_theta


class RAdam:
    r"""torch.optim.RAdam (docs' algorithm box; torch switches the adaptive step on at rho_t > 5).

    if lambda != 0: theta_{t-1} <- theta_{t-1} (1 - gamma lambda) (decoupled) or g_t <- g_t + lambda theta_{t-1}
    m_t <- beta1 m_{t-1} + (1 - beta1) g_t,   v_t <- beta2 v_{t-1} + (1 - beta2) g_t^2
    m^_t <- m_t / (1 - beta1^t)
    rho_inf <- 2 / (1 - beta2) - 1,   rho_t <- rho_inf - 2 t beta2^t / (1 - beta2^t)
    if rho_t > 5: l_t <- sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
                  r_t <- sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                  theta_t <- theta_{t-1} - gamma m^_t r_t l_t
    else:         theta_t <- theta_{t-1} - gamma m^_t
    """

    def __init__(self, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
        (self.beta1, self.beta2), self.eps, self.lam = betas, eps, weight_decay
        self.decoupled = decoupled_weight_decay
        self.m, self.v = [0.0, 0.0], [0.0, 0.0]

    def step(self, t, theta, loss, g, gamma, oracle):
        theta, g = list(theta), list(g)
        if self.lam != 0:
            if self.decoupled:
                theta = [theta[i] * (1 - gamma * self.lam) for i in COORDINATES]
            else:
                g = [g[i] + self.lam * theta[i] for i in COORDINATES]
        rho_inf = 2 / (1 - self.beta2) - 1
        rho_t = rho_inf - 2 * t * self.beta2**t / (1 - self.beta2**t)
        new_theta = []
        for i in COORDINATES:
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g[i]
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g[i] * g[i]
            m_hat = self.m[i] / (1 - self.beta1**t)
            if rho_t > 5:
                adaptive = math.sqrt(1 - self.beta2**t) / (math.sqrt(self.v[i]) + self.eps)
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                new_theta.append(theta[i] - gamma * m_hat * rect * adaptive)
            else:
                new_theta.append(theta[i] - gamma * m_hat)
        return new_theta


class Adadelta:
    r"""torch.optim.Adadelta (docs' algorithm box; Zeiler 2012, Algorithm 1, with a learning rate in front).

    g_t <- g_t + lambda theta_{t-1}                                   (if lambda != 0)
    v_t <- rho v_{t-1} + (1 - rho) g_t^2
    Delta_t <- sqrt(u_{t-1} + eps) / sqrt(v_t + eps) g_t
    u_t <- rho u_{t-1} + (1 - rho) Delta_t^2
    theta_t <- theta_{t-1} - gamma Delta_t
    """

    def __init__(self, rho=0.9, eps=1e-6, weight_decay=0.0):
        self.rho, self.eps, self.lam = rho, eps, weight_decay
        self.v, self.u = [0.0, 0.0], [0.0, 0.0]

    def step(self, t, theta, loss, g, gamma, oracle):
        new_theta = []
        for i in COORDINATES:
            g_t = g[i] + self.lam * theta[i] if self.lam != 0 else g[i]
            self.v[i] = self.rho * self.v[i] + (1 - self.rho) * g_t * g_t
            delta = math.sqrt(self.u[i] + self.eps) / math.sqrt(self.v[i] + self.eps) * g_t
            self.u[i] = self.rho * self.u[i] + (1 - self.rho) * delta * delta
            new_theta.append(theta[i] - gamma * delta)
        return new_theta


class Rprop:
    r"""torch.optim.Rprop (docs' algorithm box: Rprop without weight backtracking).

    eta_0 <- gamma (the learning rate of the first step, read once), g_0 <- 0
    if g_{t-1} g_t > 0: eta_t <- min(eta_{t-1} eta_+, Gamma_max)
    elif g_{t-1} g_t < 0: eta_t <- max(eta_{t-1} eta_-, Gamma_min),  g_t <- 0
    else: eta_t <- eta_{t-1}
    theta_t <- theta_{t-1} - eta_t sign(g_t)
    """

    def __init__(self, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)):
        (self.eta_minus, self.eta_plus), (self.step_min, self.step_max) = etas, step_sizes
        self.previous, self.sizes = [0.0, 0.0], None

    def step(self, t, theta, loss, g, gamma, oracle):
        if self.sizes is None:
            self.sizes = [gamma, gamma]
        new_theta = []
        for i in COORDINATES:
            g_t, product = g[i], g[i] * self.previous[i]
            factor = self.eta_plus if product > 0 else self.eta_minus if product < 0 else 1.0
            # torch clamps to both bounds whatever the case (the box writes only the bound that case can cross)
            self.sizes[i] = min(max(self.sizes[i] * factor, self.step_min), self.step_max)
            if product < 0:
                g_t = 0.0
            self.previous[i] = g_t
            new_theta.append(theta[i] - self.sizes[i] * math.copysign(1.0, g_t) * (g_t != 0))
        return new_theta


class Lion:
    r"""Lion (Chen et al. 2023), the paper's Algorithm 2.

    c_t <- beta1 m_{t-1} + (1 - beta1) g_t
    theta_t <- theta_{t-1} - eta (sign(c_t) + lambda theta_{t-1})
    m_t <- beta2 m_{t-1} + (1 - beta2) g_t
    """

    def __init__(self, betas=(0.9, 0.99), weight_decay=0.0):
        (self.beta1, self.beta2), self.lam = betas, weight_decay
        self.m = [0.0, 0.0]

    def step(self, t, theta, loss, g, gamma, oracle):
        new_theta = []
        for i in COORDINATES:
            c = self.beta1 * self.m[i] + (1 - self.beta1) * g[i]
            sign = math.copysign(1.0, c) if c != 0 else 0.0
            new_theta.append(theta[i] - gamma * (sign + self.lam * theta[i]))
            self.m[i] = self.beta2 * self.m[i] + (1 - self.beta2) * g[i]
        return new_theta


# ----- rules that look elsewhere: the gradient at another point, or the Hessian -------------------
class ScheduleFree:
    r"""Schedule-Free SGD / AdamW (Defazio et al. 2024), as the authors' schedulefree package's reference
    implementation keeps x, y and z (sgd_schedulefree_reference.py; AdamW with version 1.3's denominator).

    k <- t - 1;  sched <- (k + 1) / warmup_steps if k < warmup_steps else 1;  lr <- gamma sched
    lr_max <- max(lr, lr_max);  weight <- (k + 1)^r lr_max^weight_lr_power;  weight_sum += weight
    c <- weight / weight_sum (0 if weight_sum is 0)
    g <- grad f(y)                          (y = x_1 on the first step, else x beta + (1 - beta) z)
    AdamW: v <- beta2 v + (1 - beta2) g^2;  g <- g / (sqrt(v / (1 - beta2^(k + 1))) + eps)
    g <- g + lambda y                       (if lambda != 0)
    z <- z - lr g;  x <- x (1 - c) + c z;   the plotted point is x
    """

    def __init__(self, beta, adam, beta2=0.0, eps=0.0, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0):
        self.beta, self.adam, self.beta2, self.eps = beta, adam, beta2, eps
        self.lam, self.warmup, self.r, self.power = weight_decay, warmup_steps, r, weight_lr_power
        self.z, self.v, self.lr_max, self.weight_sum = None, None, -1.0, 0.0

    def step(self, t, theta, loss, g, gamma, oracle):
        """Any number of coordinates: two on a surface, a network's every parameter."""
        x = list(theta)
        coordinates = range(len(x))
        if self.z is None:
            self.z, y, self.v = list(theta), list(theta), [0.0] * len(x)
        else:
            y = [x[i] * self.beta + (1 - self.beta) * self.z[i] for i in coordinates]
        k = t - 1
        lr = gamma * ((k + 1) / self.warmup if k < self.warmup else 1.0)
        self.lr_max = max(lr, self.lr_max)
        weight = ((k + 1) ** self.r) * (self.lr_max ** self.power)
        self.weight_sum += weight
        c = weight / self.weight_sum if self.weight_sum != 0 else 0.0
        _, g_y = oracle.loss_and_gradient(y)
        for i in coordinates:
            u = g_y[i]
            if self.adam:
                self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * u * u
                u = u / (math.sqrt(self.v[i] / (1 - self.beta2 ** (k + 1))) + self.eps)
            if self.lam != 0:
                u = u + self.lam * y[i]
            self.z[i] = self.z[i] - lr * u
            x[i] = x[i] * (1 - c) + c * self.z[i]
        return x


class ScheduleFreeSGD(ScheduleFree):
    def __init__(self, momentum=0.9, **settings):
        super().__init__(momentum, False, **settings)


class ScheduleFreeAdamW(ScheduleFree):
    def __init__(self, betas=(0.9, 0.999), eps=1e-8, **settings):
        super().__init__(betas[0], True, beta2=betas[1], eps=eps, **settings)


class SAM:
    r"""SAM (Foret et al. 2021, Algorithm 1 with p = 2; google-research/sam's dual vector) on torch.optim.SGD.

    e <- rho g / ||g||_2  (0 where g = 0)
    g~ <- grad f(theta + e) + lambda theta
    b <- g~ (t = 1) or mu b + g~;   theta <- theta - gamma (b if mu != 0 else g~)
    """

    def __init__(self, rho=0.05, momentum=0.0, weight_decay=0.0):
        self.rho, self.mu, self.lam = rho, momentum, weight_decay
        self.b = None

    def step(self, t, theta, loss, g, gamma, oracle):
        """Any number of coordinates: two on a surface, a network's every parameter (‖g‖ over all of them)."""
        coordinates = range(len(theta))
        self.b = self.b or [0.0] * len(theta)
        norm = math.sqrt(sum(g[i] * g[i] for i in coordinates))
        ascent = [theta[i] + (self.rho * g[i] / norm if norm > 0 else 0.0) for i in coordinates]
        _, g_ascent = oracle.loss_and_gradient(ascent)
        new_theta = []
        for i in coordinates:
            g_t = g_ascent[i] + self.lam * theta[i] if self.lam != 0 else g_ascent[i]
            if self.mu != 0:
                self.b[i] = g_t if t == 1 else self.mu * self.b[i] + g_t
                g_t = self.b[i]
            new_theta.append(theta[i] - gamma * g_t)
        return new_theta


class Sophia:
    r"""Sophia (Liu et al. 2023, Algorithm 3) with the exact Hessian diagonal as the estimator.

    m_t <- beta1 m_{t-1} + (1 - beta1) g_t
    if t mod k = 1: h_t <- beta2 h_{t-k} + (1 - beta2) diag H(theta)   else h_t <- h_{t-1}
    theta <- theta - eta lambda theta
    theta <- theta - eta clip(m_t / max(rho h_t, eps), 1),   clip(z, 1) = max(min(z, 1), -1)
    """

    def __init__(self, betas=(0.965, 0.99), rho=0.04, weight_decay=0.1, eps=1e-12, hessian_interval=10):
        (self.beta1, self.beta2), self.rho, self.lam, self.eps, self.k = betas, rho, weight_decay, eps, hessian_interval
        self.m, self.h = [0.0, 0.0], [0.0, 0.0]

    def step(self, t, theta, loss, g, gamma, oracle):
        hessian = oracle.hessian(theta)
        new_theta = []
        for i in COORDINATES:
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g[i]
            if t % self.k == 1 % self.k:
                self.h[i] = self.beta2 * self.h[i] + (1 - self.beta2) * float(hessian[i, i])
            decayed = theta[i] - gamma * self.lam * theta[i]
            ratio = self.m[i] / max(self.rho * self.h[i], self.eps)
            new_theta.append(decayed - gamma * max(min(ratio, 1.0), -1.0))
        return new_theta


# ----- Newton with an eigenvalue floor (optimizers/newton.py's docstring) ----------------------
class Newton:
    r"""theta_t = theta_{t-1} - eta sum_i (u_i . g_t) / lambda~_i u_i, over the eigenpairs of H.

    lambda~_i = sign(lambda_i) max(|lambda_i|, delta), with sign(0) = +1; saddle_free uses
    max(|lambda_i|, delta), i.e. |H| (Dauphin et al., 2014).
    """

    def __init__(self, damping=1e-4, saddle_free=False):
        self.delta, self.saddle_free = damping, saddle_free

    def floored(self, eigenvalue):
        magnitude = max(abs(eigenvalue), self.delta)
        return -magnitude if (eigenvalue < 0 and not self.saddle_free) else magnitude

    def step(self, t, theta, loss, g, eta, oracle):
        eigenvalues, eigenvectors = np.linalg.eigh(oracle.hessian(theta))
        direction = [0.0, 0.0]
        for k in COORDINATES:
            u = [float(eigenvectors[0, k]), float(eigenvectors[1, k])]
            along = _dot(u, g) / self.floored(float(eigenvalues[k]))
            direction = [direction[i] + along * u[i] for i in COORDINATES]
        return [theta[i] - eta * direction[i] for i in COORDINATES]


# ----- L-BFGS: torch/optim/lbfgs.py with max_iter=1 --------------------------------------------
def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """torch.optim.lbfgs._cubic_interpolate: minimizer of the cubic through two points with slopes."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - _divide(3 * (f1 - f2), x1 - x2)  # (3 (f1 - f2)) / (x1 - x2), as torch associates it
    d2_square = d1 * d1 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * _divide(g2 + d2 - d1, g2 - g1 + 2 * d2)
        else:
            min_pos = x1 - (x1 - x2) * _divide(g1 + d2 - d1, g1 - g2 + 2 * d2)
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """torch.optim.lbfgs._strong_wolfe; returns the accepted step length t."""
    d_norm = max(abs(d_i) for d_i in d)
    f_new, g_new = obj_func(x, t, d)
    gtd_new = _dot(g_new, d)

    # bracket an interval containing a point satisfying the Wolfe criteria
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        # interpolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        # next step
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(x, t, d)
        gtd_new = _dot(g_new, d)
        ls_iter += 1

    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom phase
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        gtd_new = _dot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos], bracket_g[high_pos], bracket_gtd[high_pos] = t, f_new, g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # old high becomes new low
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos], bracket_g[low_pos], bracket_gtd[low_pos] = t, f_new, g_new, gtd_new
    return bracket[low_pos]


class LBFGS:
    """torch.optim.LBFGS(lr, max_iter=1, history_size, tolerance_grad, tolerance_change, line_search_fn).

    One call of ``step`` is one call of torch's ``LBFGS.step`` with ``max_iter=1``.
    """

    def __init__(self, history_size=100, tolerance_grad=1e-7, tolerance_change=1e-9, line_search=False):
        self.history_size, self.tolerance_grad, self.tolerance_change = history_size, tolerance_grad, tolerance_change
        self.line_search = line_search
        self.n_iter = 0
        self.d = self.t = self.prev_flat_grad = None
        self.old_dirs, self.old_stps, self.ro, self.H_diag = [], [], [], 1.0

    def step(self, t_step, x, loss, flat_grad, lr, oracle):
        if max(abs(g_i) for g_i in flat_grad) <= self.tolerance_grad:
            return x  # optimal condition: torch returns before iterating
        self.n_iter += 1
        if self.n_iter == 1:
            d = [-g_i for g_i in flat_grad]
            self.old_dirs, self.old_stps, self.ro, self.H_diag = [], [], [], 1.0
        else:
            y = [flat_grad[i] - self.prev_flat_grad[i] for i in COORDINATES]
            s = [self.d[i] * self.t for i in COORDINATES]
            ys = _dot(y, s)
            if ys > 1e-10:
                if len(self.old_dirs) == self.history_size:  # shift history by one
                    self.old_dirs.pop(0)
                    self.old_stps.pop(0)
                    self.ro.pop(0)
                self.old_dirs.append(y)
                self.old_stps.append(s)
                self.ro.append(1.0 / ys)
                self.H_diag = ys / _dot(y, y)
            num_old = len(self.old_dirs)
            al = [None] * num_old
            q = [-g_i for g_i in flat_grad]
            for i in range(num_old - 1, -1, -1):
                al[i] = _dot(self.old_stps[i], q) * self.ro[i]
                q = [q[k] - al[i] * self.old_dirs[i][k] for k in COORDINATES]
            r = [q_k * self.H_diag for q_k in q]
            for i in range(num_old):
                be_i = _dot(self.old_dirs[i], r) * self.ro[i]
                r = [r[k] + (al[i] - be_i) * self.old_stps[i][k] for k in COORDINATES]
            d = r
        self.prev_flat_grad = list(flat_grad)
        l1_norm = sum(abs(g_i) for g_i in flat_grad)
        t = min(1.0, _divide(1.0, l1_norm)) * lr if self.n_iter == 1 else lr
        gtd = _dot(flat_grad, d)
        self.d, self.t = d, t
        if gtd > -self.tolerance_change:
            return x  # directional derivative below tolerance: torch breaks before moving
        if self.line_search:
            def obj_func(x, t, d):
                return oracle.loss_and_gradient([x[i] + t * d[i] for i in COORDINATES])

            t = strong_wolfe(obj_func, x, t, d, loss, flat_grad, gtd)
            self.t = t
        return [x[i] + t * d[i] for i in COORDINATES]


# ----- the registry of references, with each optimizer's documented defaults -------------------
ALGORITHMS = {
    "sgd": SGD,
    "momentum": SGD,
    "nesterov": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adam_nobias": AdamWithoutBiasCorrection,
    "adamw": AdamW,
    "nadam": NAdam,
    "amsgrad": Adam,
    "newton": Newton,
    "lbfgs": LBFGS,
    "adamax": Adamax,
    "radam": RAdam,
    "adadelta": Adadelta,
    "rprop": Rprop,
    "lion": Lion,
    "sf_sgd": ScheduleFreeSGD,
    "sf_adamw": ScheduleFreeAdamW,
    "sam": SAM,
    "sophia": Sophia,
}

_SGD = dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, momentum_start=0.5,
            momentum_warmup=0)  # the last two: annealing, which torch leaves to the training loop
_ADAM = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False)

# torch's defaults, except where the app's variant documents a different choice (defaults_note)
DEFAULTS = {
    "sgd": dict(_SGD),
    "momentum": dict(_SGD, momentum=0.9),
    "nesterov": dict(_SGD, momentum=0.9, nesterov=True),
    "adagrad": dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10),
    "rmsprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False),
    "adam": dict(_ADAM),
    "adam_nobias": dict(_ADAM),
    "adamw": dict(_ADAM, weight_decay=1e-2),
    "nadam": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                  decoupled_weight_decay=False),
    "amsgrad": dict(_ADAM, amsgrad=True),
    "newton": dict(lr=1.0, damping=1e-4, saddle_free=False),
    "lbfgs": dict(lr=1.0, history_size=100, tolerance_grad=1e-7, tolerance_change=1e-9, line_search=True),
    "adamax": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0),
    "radam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False),
    "adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0),
    "rprop": dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)),
    "lion": dict(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0),  # the paper's and the authors' code
    # the schedulefree package's SGDScheduleFree and AdamWScheduleFree
    "sf_sgd": dict(lr=1.0, momentum=0.9, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0),
    "sf_adamw": dict(lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0),
    "sam": dict(lr=1e-3, rho=0.05, momentum=0.0, weight_decay=0.0),  # the paper's rho; torch.optim.SGD's defaults
    # SophiaG's lr, betas, rho and weight decay; the paper's eps and k
    "sophia": dict(lr=1e-4, betas=(0.965, 0.99), rho=0.04, weight_decay=0.1, eps=1e-12, hessian_interval=10),
}


# Hand-picked combinations a generic "each setting moved on its own" would miss (tests/test_optimizers.py
# adds the defaults and every hyperparameter moved alone to these).
CURATED_SETTINGS = {
    "sgd": {
        "defaults": {},
        "weight_decay": {"lr": 0.01, "weight_decay": 0.1},
        "momentum_with_dampening": {"lr": 2e-3, "momentum": 0.5, "dampening": 0.3},
        "nesterov_with_weight_decay": {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    },
    "momentum": {
        "defaults": {},
        "heavy_momentum_and_dampening": {"lr": 5e-4, "momentum": 0.99, "dampening": 0.1},
        "annealed_from_half_over_30_steps": {"momentum": 0.9, "momentum_start": 0.5, "momentum_warmup": 30},
        "no_momentum": {"momentum": 0.0, "lr": 2e-3},
        "nesterov_switched_on": {"nesterov": True, "weight_decay": 0.05},
    },
    "nesterov": {
        "defaults": {},
        "half_momentum_and_weight_decay": {"momentum": 0.5, "weight_decay": 0.05, "lr": 2e-3},
        "nesterov_switched_off_with_dampening": {"nesterov": False, "dampening": 0.5},
        "annealed_from_zero_over_a_long_run": {"momentum_start": 0.0, "momentum_warmup": 400, "lr": 2e-3},
    },
    "adagrad": {
        "defaults": {},
        "large_lr": {"lr": 0.5},
        "lr_decay": {"lr": 0.3, "lr_decay": 0.05},
        "accumulator_eps_weight_decay": {"lr": 0.2, "initial_accumulator_value": 0.1, "eps": 1e-3, "weight_decay": 0.01},
    },
    "rmsprop": {
        "defaults": {},
        "alpha_and_eps": {"alpha": 0.9, "eps": 1e-4},
        "centered": {"centered": True},
        "momentum": {"momentum": 0.9, "lr": 1e-3},
        "centered_momentum_weight_decay": {"centered": True, "momentum": 0.5, "weight_decay": 0.01, "lr": 3e-3},
    },
    "adam": {
        "defaults": {},
        "large_lr": {"lr": 0.05},
        "betas_and_eps": {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-3},
        "amsgrad": {"lr": 0.05, "amsgrad": True},
        "l2_weight_decay": {"lr": 0.02, "weight_decay": 0.1},
        "no_first_moment": {"betas": (0.0, 0.99), "lr": 0.01},
    },
    "adam_nobias": {
        "defaults": {},
        "betas": {"lr": 0.02, "betas": (0.8, 0.99)},
        "amsgrad_weight_decay": {"lr": 0.02, "amsgrad": True, "weight_decay": 0.05},
    },
    "adamw": {
        "defaults": {},
        "strong_weight_decay": {"lr": 0.05, "weight_decay": 0.5},
        "amsgrad": {"lr": 0.02, "amsgrad": True, "weight_decay": 0.1},
        "no_weight_decay": {"weight_decay": 0.0, "lr": 0.02},
    },
    "nadam": {
        "defaults": {},
        "momentum_decay": {"lr": 0.02, "momentum_decay": 0.01},
        "betas_and_eps": {"betas": (0.8, 0.99), "eps": 1e-4},
        "l2_weight_decay": {"weight_decay": 0.1, "lr": 0.01},
        "decoupled_weight_decay": {"weight_decay": 0.1, "decoupled_weight_decay": True, "lr": 0.01},
    },
    "amsgrad": {
        "defaults": {},
        "betas": {"lr": 0.05, "betas": (0.95, 0.9)},
        "switched_off": {"amsgrad": False, "lr": 0.02},
    },
    "newton": {
        "defaults": {},
        "damped": {"lr": 0.5},
        "large_floor": {"damping": 1.0},
        "saddle_free": {"saddle_free": True, "lr": 0.3},
    },
    "lbfgs": {
        "defaults": {},
        "history_two": {"history_size": 2},
        "history_one": {"history_size": 1, "lr": 0.5},
        "no_line_search": {"line_search": False, "lr": 0.1},
        "loose_tolerances": {"tolerance_grad": 1e-3, "tolerance_change": 1e-5},
    },
}

# ----- the driver loop ---------------------------------------------------------------------------
@dataclass
class ReferenceResult:
    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray
    diverged_at: int | None


def escaped(theta, f, g, escape_box) -> bool:
    """The divergence rule: anything non-finite, or the point outside the landscape's escape box."""
    if not _is_finite(f, *g):
        return True
    x_low, x_high, y_low, y_high = escape_box
    return not (x_low <= theta[0] <= x_high and y_low <= theta[1] <= y_high)


def reference_run(optimizer, landscape, start=None, steps=500, *, schedule=None, clip_norm=None, clip_value=None,
                  noise=0.0, seed=0, replay=None, **hyper) -> ReferenceResult:
    """The trajectory ``optimizers.run`` must produce, computed the slow, obvious way.

    Step t (t = 0, 1, ...): evaluate f and the exact gradient at theta_t; stop if that is
    non-finite or theta_t escaped (``diverged_at = t``, arrays end before the bad point); record;
    perturb the gradient with counter (seed, t, 0); let the update rule (which counts steps
    from 1, as torch does) produce theta_{t+1} with learning rate lr * factor(t).

    ``replay``: a path to follow (the engine's). Each step then starts from ``replay[t]`` instead
    of the reference's own previous point, and ``path[t + 1]`` is the reference's prediction of
    ``replay[t + 1]``. This checks every single step to rounding precision without the
    exponential growth of rounding differences that chaotic runs show over long horizons.
    """
    surface = landscapes.get(landscape) if isinstance(landscape, str) else landscape
    settings = dict(DEFAULTS[optimizer])
    unknown = set(hyper) - set(settings)
    if unknown:
        raise TypeError(f"{optimizer} has no hyperparameters {sorted(unknown)}")
    settings.update(hyper)
    base_lr = settings.pop("lr")
    rule = ALGORITHMS[optimizer](**settings)
    theta = [float(v) for v in (surface.start if start is None else start)]

    path, loss, grad_norm, lrs = [], [], [], []
    diverged_at = None
    for t in range(steps + 1):
        f = surface.f(theta[0], theta[1])
        g = list(surface.grad(theta[0], theta[1]))
        if escaped(theta, f, g, surface.escape_box):
            diverged_at = t
            del lrs[t - 1:]  # lr[k] moves path[k] to path[k + 1], which is not kept
            break
        path.append(list(theta))
        loss.append(f)
        grad_norm.append(math.sqrt(_dot(g, g)))
        if t == steps:
            break
        lr_t = base_lr * schedule_factor(schedule, t, steps)
        lrs.append(lr_t)
        if replay is not None and t < len(replay):
            theta = [float(v) for v in replay[t]]
            f = surface.f(theta[0], theta[1])
            g = list(surface.grad(theta[0], theta[1]))
        g_seen = gradient_seen(g, seed, t, 0, noise, clip_value, clip_norm)
        oracle = StepOracle(surface, t + 1, seed, noise, clip_value, clip_norm)
        theta = [float(v) for v in rule.step(t + 1, theta, f, g_seen, lr_t, oracle)]
    return ReferenceResult(np.array(path, dtype=float).reshape(-1, 2), np.array(loss, dtype=float),
                           np.array(grad_norm, dtype=float), np.array(lrs, dtype=float), diverged_at)
