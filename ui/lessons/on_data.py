"""Lessons on minibatch SGD over real finite sums (``landscapes.data``): GD against SGD by iteration
and by epoch, with or without replacement, reading the learning rate off noisy loss curves, and
early stopping on a held-out loss. Every claim is checked on 20 other draws of the minibatches."""
from __future__ import annotations

import numpy as np

from .measures import (draws_per_example, epoch_end_level, gap, geometric_mean, held_out_loss, iterate_after_epochs,
                       one_step_floor)
from .records import Choice, Claim, DataRun, DataScene, Lesson, Source


def gd_against_sgd() -> Lesson:
    scene = DataScene("linear", n=100, data_seed=0, steps=1000,
                      runs=[DataRun("sgd", 0.25), DataRun("sgd", 0.02, batch_size=1, sampling="practical", seed=0)])

    def ahead(rs, d):
        """0: GD ahead on both plots, 1: behind on both, 2: ahead by iteration only, 3: ahead by epoch only."""
        gd, sgd = gap(rs[0], d), gap(rs[1], d)
        by_iteration = gd[10] < sgd[10]
        by_epoch = gd[iterate_after_epochs(rs[0], 1)] < sgd[iterate_after_epochs(rs[1], 1)]
        return {(True, True): 0, (False, False): 1, (True, False): 2, (False, True): 3}[(by_iteration, by_epoch)]

    return Lesson(
        slug="gd-vs-sgd",
        title="GD against SGD: count iterations, or count examples?",
        objectives=("Read a loss curve against the right x-axis: iterations, or epochs of example gradients,",
                    "and say why SGD is the cheap way to a medium-accuracy answer."),
        scene=scene,
        prediction=Choice(
            "Gradient descent (every one of the 100 examples at every step) and SGD (one example per step) fit the same "
            "line. Plotted by iteration and by epoch, where is gradient descent ahead?",
            ("Ahead on both plots", "Behind on both plots", "Ahead by iteration, behind by epoch",
             "Behind by iteration, ahead by epoch"), ahead),
        text=(
            "One GD iteration computes all 100 example gradients; one SGD iteration with a batch of 1 computes one. "
            "Each runs at its own best η from a small grid (GD 0.25 of {0.02 … 0.25}, SGD 0.02 of {0.005 … 0.1}). "
            "**By iteration** (left, under the race) GD wins easily: after 10 iterations its gap is 0.09 and SGD's 6.2. "
            "But 10 GD iterations cost 1,000 example gradients and 10 SGD iterations cost 10. **By epoch** (right) the "
            "order flips: after one pass over the data SGD's gap is 0.17, while no learning rate lets GD's single step "
            "get below 5.8. GD needs 7 to 9 epochs to catch up; then it goes on to machine precision, while SGD with a "
            "constant η keeps jumping around the minimum (never within 10⁻⁷). SGD buys a medium-accuracy answer cheaply, "
            "and in machine learning that is usually what is needed."
        ),
        formulas=(r"g_t^{\mathrm{GD}} = \frac1N\sum_{i=1}^{N}\nabla\ell_i(\theta_t)\ (N \text{ gradients}),\qquad "
                  r"g_t^{\mathrm{SGD}} = \nabla\ell_{i_t}(\theta_t)\ (1 \text{ gradient}),\qquad \mathbb{E}\,[g_t^{\mathrm{SGD}}] = \nabla L(\theta_t)",
                  r"\text{epochs after } t \text{ iterations} = \frac{tB}{N}:\quad \text{GD: } t,\qquad \text{SGD } (B = 1)\text{: } t/100",
                  r"\min_\eta L(\theta_0 - \eta g_0) \text{ at } \eta^\ast = \frac{g_0^\top g_0}{g_0^\top H g_0}\ \text{(the best single GD step)}"),
        discuss="Your data set has a billion examples. How many epochs of gradient descent can you afford, and what does SGD get in that time?",
        claims=(
            Claim("By iteration: after 10 iterations GD's gap is more than 10 times below SGD's.",
                  lambda rs, d: 10 * gap(rs[0], d)[10] < gap(rs[1], d)[10]),
            Claim("By iteration: GD is within 10⁻¹⁰ of the minimum loss by iteration 100; SGD never gets within 10⁻⁷.",
                  lambda rs, d: gap(rs[0], d)[100] < 1e-10 and gap(rs[1], d).min() > 1e-7),
            Claim("By epoch: after one epoch SGD's gap is more than 5 times below the best that one GD step can reach at "
                  "any learning rate.",
                  lambda rs, d: 5 * gap(rs[1], d)[iterate_after_epochs(rs[1], 1)] < one_step_floor(d)),
            Claim("By epoch: GD needs at least 5 epochs to get where SGD is after one.",
                  lambda rs, d: int(np.argmax(gap(rs[0], d) <= gap(rs[1], d)[iterate_after_epochs(rs[1], 1)])) >= 5),
        ),
        recap="Per iteration GD wins; per example gradient computed, SGD gets far lower first, and GD wins only at high accuracy.",
        run_captions=("GD (all 100 examples)", "SGD (1 example)"),
        extras=("iterations-and-epochs",),
        sources=(Source("004", "GD vs SGD"), Source("004", "What’s an epoch?")),
    )


def sampling() -> Lesson:
    scene = DataScene("logistic", n=100, data_seed=0, steps=300,
                      runs=[DataRun("sgd", 1.0, batch_size=10, sampling="practical", seed=0),
                            DataRun("sgd", 1.0, batch_size=10, sampling="canonical", seed=0)])

    def lower_at_epoch_ends(rs, d):
        practical, canonical = (epoch_end_level(r, d, 20) for r in rs)
        if max(practical, canonical) < 2 * min(practical, canonical):
            return 2
        return 0 if practical < canonical else 1

    def dips_at_epoch_ends(rs, d):
        r = rs[0]
        per = r.n // r.batch_size
        g = gap(r, d)
        ends = np.arange(10 * per, len(g), per)
        return geometric_mean(g[ends - per // 2] / np.maximum(g[ends], 1e-16)) > 2

    return Lesson(
        slug="with-or-without-replacement",
        title="Minibatches with or without replacement: what really differs",
        objectives=("Say what an epoch means under each sampler,",
                    "and see when reshuffling without replacement settles lower, and when it makes no difference."),
        scene=scene,
        prediction=Choice(
            "Same data, same η = 1, same batches of 10; only the sampler differs: run 1 reshuffles and walks through "
            "the data (practical), run 2 draws every batch at random with replacement (canonical). Over 30 epochs, "
            "whose loss is lower at the end of each epoch?",
            ("Practical (reshuffle, without replacement)", "Canonical (with replacement)", "No visible difference"),
            lower_at_epoch_ends),
        text=(
            "Canonical SGD draws each batch independently, with replacement: every step's gradient is an unbiased "
            "estimate, but in one epoch's worth of draws about 37% of the examples are never seen. Practical SGD "
            "shuffles and walks through the data, every example exactly once per epoch. Over one epoch its steps add "
            "up to almost one full-gradient step, so the minibatch errors largely cancel and the loss dips at every "
            "epoch end. With this small step (η = 1, about a thirteenth of 1/L) the practical run's epoch-end loss "
            "settles about 15 to 20 times lower. This is a controlled comparison: only the sampler changes, and "
            "practical is as low or lower at every η of {0.5, 1, 2, 5, 10}. But near η = 1/L ≈ 13, the step the data "
            "page suggests, the noise of each single step dominates and the two cannot be told apart."
        ),
        formulas=(r"\text{practical: } \sum_{k=1}^{N/B} B\, g_{B_k}(\theta) = N\,\nabla L(\theta)\ \ \text{(every example once, at the same } \theta\text{)}",
                  r"\text{canonical: } \Pr[\text{example } i \text{ unseen in an epoch}] = \Bigl(1 - \tfrac1N\Bigr)^{N} \to e^{-1} \approx 0.368\ \ (N = 100\text{: } 0.366)"),
        discuss="At η = 10 the two samplers look the same. Why would the size of the step hide the difference?",
        claims=(
            Claim("Practical: in every one of the 30 epochs each example is used exactly once.",
                  lambda rs, d: all(np.all(draws_per_example(rs[0], e) == 1) for e in range(30))),
            Claim("Canonical: in every epoch between 25% and 50% of the examples are never drawn (expected 36.6%).",
                  lambda rs, d: all(0.25 <= np.mean(draws_per_example(rs[1], e) == 0) <= 0.50 for e in range(30))),
            Claim("At the ends of epochs 20 to 30 the practical run's gap is more than 3 times below the canonical run's "
                  "(geometric means).",
                  lambda rs, d: 3 * epoch_end_level(rs[0], d, 20) < epoch_end_level(rs[1], d, 20)),
            Claim("The practical run dips at every epoch end: there its gap is more than 2 times below its gap half an "
                  "epoch earlier (epochs 10 to 30).", dips_at_epoch_ends),
        ),
        recap="Reshuffling makes every example count once per epoch, and at small steps that settles visibly lower; "
              "with replacement a third of the data sits out each epoch.",
        run_captions=("practical", "canonical"),
        extras=("epoch-ends",),
        sources=(Source("004", "What’s an epoch?"),),
    )


DIAGNOSIS_LRS = (0.005, 0.02, 0.2, 0.5)


def diagnose_learning_rate() -> Lesson:
    scene = DataScene("linear", n=100, data_seed=0, steps=300,
                      runs=[DataRun("sgd", lr, batch_size=10, sampling="practical", seed=0) for lr in DIAGNOSIS_LRS])

    def end_level(r, d, last=50):
        if r.diverged_at is not None:
            return np.inf
        return float(np.mean(gap(r, d)[-last:]))

    def window(r, d, first, last):
        return geometric_mean(gap(r, d)[first:last])

    return Lesson(
        slug="diagnose-learning-rate",
        title="Reading the learning rate off noisy loss curves",
        objectives=("Recognise the four signatures of a minibatch loss curve: blows up, flattens too early, slopes on "
                    "too long, good,", "and say which way to move η for each."),
        scene=scene,
        prediction=Choice(
            "Four runs of minibatch SGD (batches of 10, 30 epochs) differ only in η. Which ends with the lowest loss?",
            tuple(f"η = {lr:g}" for lr in DIAGNOSIS_LRS),
            lambda rs, d: int(np.argmin([end_level(r, d) for r in rs]))),
        text=(
            "**Far too high** (η = 0.5, above GD's stability limit 2/L = 0.29): the loss shoots up within a few steps "
            "and the run is stopped: lower η at once. **Too high** (0.2): the fastest drop at first, then the curve "
            "goes flat and jittery far above the others. Each minibatch kicks θ around the minimum, and the kicks grow "
            "with η: the notes' \"premature flattening\". **Too low** (0.005): a smooth, steady slope that is still "
            "falling after 30 epochs, and it ends *higher* than the noisy run. **Good** (0.02, the best of nine values "
            "from 0.002 to 0.5): it keeps falling and ends two decades below \"too high\". With a constant η the level "
            "where SGD flattens is set by η itself, which is why η is lowered in steps once the curve flattens."
        ),
        formulas=(r"\theta_{t+1} = \theta_t - \eta\, g_{B_t}(\theta_t),\qquad g_{B_t} = \nabla L(\theta_t) + \text{noise of covariance } \Sigma/B",
                  r"\text{near the minimum of a quadratic: } \mathbb{E}\,L(\theta_t) - L^\ast \to \approx \frac{\eta}{4B}\operatorname{tr}\Sigma"
                  r"\quad\text{(the floor grows with } \eta)"),
        discuss="Your curve is flat and noisy after two epochs. Do you raise η, lower it, or train longer?",
        claims=(
            Claim("Far too high (0.5): the loss blows up and the run stops within 50 steps.",
                  lambda rs, d: rs[3].diverged_at is not None and rs[3].diverged_at <= 50),
            Claim("Too low (0.005): still sloping down at the end: its gap over steps 250 to 300 is less than half that "
                  "over steps 150 to 200.", lambda rs, d: window(rs[0], d, 250, 301) < 0.5 * window(rs[0], d, 150, 200)),
            Claim("Too high (0.2): flattens early: its gap over steps 200 to 300 is more than a third of that over steps "
                  "50 to 150.", lambda rs, d: window(rs[2], d, 200, 301) > window(rs[2], d, 50, 150) / 3),
            Claim("Too high (0.2) flattens high: over the last 50 steps its gap is more than 10 times the good run's.",
                  lambda rs, d: end_level(rs[2], d) > 10 * end_level(rs[1], d)),
            Claim("Too low (0.005) ends higher than too high (0.2): after 30 epochs, slow is worse than noisy.",
                  lambda rs, d: end_level(rs[0], d) > end_level(rs[2], d)),
            Claim("Good (0.02) ends lowest of the four, more than 5 times below the next best.",
                  lambda rs, d: sorted(end_level(r, d) for r in rs)[1] > 5 * end_level(rs[1], d)),
        ),
        recap="Blows up: lower η. Flat, noisy and high: lower or decay η. Still sloping: raise η or train longer.",
        run_captions=("too low", "good", "too high", "far too high"),
        extras=("loss-one-axis",),
        sources=(Source("004", "Diagnosis of LR"), Source("003", "The impact of learning rates"),
                 Source("002", "Babysitting the learning process")),
    )


EARLY_STOPPING_SCENE = DataScene("logistic", n=10, data_seed=10, steps=500, holdout=90,
                                 runs=[DataRun("sgd", 1.0, batch_size=5, sampling="practical", seed=0)])


def early_stopping() -> Lesson:
    scene = EARLY_STOPPING_SCENE

    def held(r):
        return held_out_loss(scene, r)

    def stop_step(r):
        return int(np.argmin(held(r)))

    def shape(rs, d):
        """0: falls all the way, 1: falls then rises, 2: stays about flat, 3: rises from the start."""
        h = held(rs[0])
        k = int(np.argmin(h))
        if h[-1] > 1.2 * h[k] and k < 0.9 * (len(h) - 1) and h[k] < 0.8 * h[0]:
            return 1
        if h[-1] < 0.8 * h[0]:
            return 0
        return 3 if h[-1] > 1.2 * h[0] else 2

    def all_right_and_growing(rs, d):
        r = rs[0]
        margins = (2 * d.targets - 1) * (d.features @ r.path[-1])
        return margins.min() > 0 and np.hypot(*r.path[-1]) > 2 * np.hypot(*r.path[stop_step(r)])

    return Lesson(
        slug="early-stopping",
        title="Early stopping: stop when the held-out loss turns",
        objectives=("Read a training curve against a held-out curve and find the step to stop at,",
                    "and say why the training loss can fall while the model gets worse."),
        scene=scene,
        prediction=Choice(
            "Minibatch SGD learns from only 10 examples; 90 others are held out and never used for training. The "
            "training loss will fall all the way. What will the loss on the held-out examples do?",
            ("Fall all the way too", "Fall, then rise", "Stay about flat", "Rise from the start"), shape),
        text=(
            "We train on 10 examples and watch the loss on 90 others that training never sees. The training loss falls "
            "all the way: these 10 points can be split perfectly by a line, so growing the weights always lowers it "
            "(0.22 → 0.07), and the model grows ever more confident (|θ| from 2.6 to 9.3). The held-out loss falls "
            "until step 55, then climbs to 3.4 times its best: every held-out point on the wrong side of the boundary "
            "costs more as the confidence grows. Early stopping keeps the parameters of step 55; on held-out data they "
            "come within 4% of a model fitted on all 100 examples. Not every split is this dramatic: of 60 random "
            "10-example training sets, 27 were separable (held-out loss rising by a median 1.7 times); when the "
            "training points overlap, it typically rises by only about 4%."
        ),
        formulas=(r"L_{\text{train}}(\theta) = \frac1{|T|}\sum_{i\in T}\ell(\theta^\top\phi_i, y_i),\qquad "
                  r"L_{\text{held}}(\theta) = \frac1{|V|}\sum_{i\in V}\ell(\theta^\top\phi_i, y_i),\qquad T\cap V = \varnothing",
                  r"t^\ast = \arg\min_t L_{\text{held}}(\theta_t)\quad\text{(early stopping keeps } \theta_{t^\ast})",
                  r"s_i\,\theta^\top\phi_i > 0\ \ \forall i \in T \implies L_{\text{train}}(c\,\theta) \to 0 \text{ as } c \to \infty"),
        discuss="If the held-out loss is used to choose when to stop, is it still an honest estimate of the loss on new data?",
        claims=(
            Claim("The held-out loss is lowest at some step before 60 of 500, and ends more than 3 times above that minimum.",
                  lambda rs, d: stop_step(rs[0]) <= 60 and held(rs[0])[-1] > 3 * held(rs[0]).min()),
            Claim("Meanwhile the training loss keeps falling: at the end it is less than a third of its value at the "
                  "held-out minimum.", lambda rs, d: rs[0].loss[-1] < rs[0].loss[stop_step(rs[0])] / 3),
            Claim("At the end every training example is on the right side of the boundary (the 10 points are separable, "
                  "so the training loss has no minimum), and |θ| is more than twice what it was at the held-out minimum.",
                  all_right_and_growing),
        ),
        recap="The training loss cannot tell you when to stop; the held-out loss can: keep the parameters from where it was lowest.",
        run_captions=("SGD on 10 examples",),
        extras=("held-out",),
        sources=(Source("004", "When to stop?"),),
    )
