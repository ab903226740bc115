"""Networks, squashed Gaussian, normaliser, replay buffer and losses of the SAC learner."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from booster_workloads.sac.losses import make_losses
from booster_workloads.sac.networks import (
    LOG_STD_MAX,
    LOG_STD_MIN,
    Actor,
    TwinCritic,
    deterministic_action,
    sample_squashed_gaussian,
)
from booster_workloads.sac.normalizer import MIN_STD, init_normalizer, normalize, update_normalizer
from booster_workloads.sac.replay import Transitions, init_replay_buffer, insert, sample


def test_actor_has_the_exported_layout_and_24_outputs_for_12_joints() -> None:
    actor = Actor(hidden_sizes=(256, 256), action_size=12)
    params = actor.init(jax.random.PRNGKey(0), jnp.zeros((1, 89)))
    layers = params["params"]["mlp"]
    assert sorted(layers) == ["layers_0", "layers_1", "layers_2"]
    assert layers["layers_0"]["kernel"].shape == (89, 256)
    assert layers["layers_2"]["kernel"].shape == (256, 24)
    assert actor.apply(params, jnp.ones((5, 89))).shape == (5, 24)


def test_squashed_gaussian_log_prob_matches_the_change_of_variables_formula() -> None:
    key = jax.random.PRNGKey(1)
    output = jax.random.normal(key, (64, 6)) * jnp.array([1.0, 1.0, 1.0, 0.3, 0.3, 0.3])
    sample_key = jax.random.PRNGKey(2)
    action, log_prob = sample_squashed_gaussian(output, sample_key)

    mean, raw_log_std = np.split(np.asarray(output, np.float64), 2, axis=-1)
    log_std = np.clip(raw_log_std, LOG_STD_MIN, LOG_STD_MAX)
    noise = np.asarray(jax.random.normal(sample_key, mean.shape), np.float64)
    u = mean + np.exp(log_std) * noise
    expected = np.sum(
        -0.5 * ((u - mean) / np.exp(log_std)) ** 2
        - log_std
        - 0.5 * np.log(2 * np.pi)
        - np.log(1 - np.tanh(u) ** 2),
        axis=-1,
    )
    np.testing.assert_allclose(np.asarray(action), np.tanh(u), atol=1e-6)
    np.testing.assert_allclose(np.asarray(log_prob), expected, rtol=1e-4, atol=1e-3)
    assert np.all(np.abs(np.asarray(action)) <= 1.0)


def test_log_prob_stays_finite_when_tanh_saturates() -> None:
    output = jnp.concatenate([jnp.full((4, 3), 40.0), jnp.full((4, 3), LOG_STD_MIN)], axis=-1)
    _, log_prob = sample_squashed_gaussian(output, jax.random.PRNGKey(0))
    assert np.all(np.isfinite(np.asarray(log_prob)))


def test_deterministic_action_is_tanh_of_the_means() -> None:
    output = jnp.array([[0.5, -2.0, 9.0, 9.0]])
    np.testing.assert_allclose(np.asarray(deterministic_action(output)), np.tanh([[0.5, -2.0]]), rtol=1e-6)


def test_normalizer_merges_batches_like_one_pass_over_all_data() -> None:
    rng = np.random.default_rng(0)
    batches = [rng.normal(3.0, 2.0, size=(n, 4)).astype(np.float32) for n in (7, 50, 1, 13)]
    batches.append(np.tile(np.float32([1, 2, 3, 4]), (5, 1)))
    state = init_normalizer(4)
    for batch in batches:
        state = update_normalizer(state, jnp.asarray(batch))
    everything = np.concatenate(batches)
    np.testing.assert_allclose(np.asarray(state.mean), everything.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(state.std), everything.std(axis=0), rtol=1e-4)
    x = jnp.asarray(everything[:3])
    np.testing.assert_allclose(
        np.asarray(normalize(state, x, True)),
        (everything[:3] - everything.mean(0)) / everything.std(0),
        rtol=1e-3,
    )
    assert normalize(state, x, False) is x


def test_normalizer_does_not_divide_by_zero_on_a_constant_entry() -> None:
    state = update_normalizer(init_normalizer(2), jnp.array([[1.0, 5.0], [1.0, 7.0]]))
    assert float(state.std[0]) == pytest.approx(MIN_STD)
    # Large values pass through unclipped: the normalisation stays affine.
    assert float(normalize(state, jnp.array([1001.0, 6.0]), True)[0]) == pytest.approx(1000.0 / MIN_STD)


def _transitions(values: np.ndarray) -> Transitions:
    n = len(values)
    column = jnp.asarray(values, jnp.float32)
    return Transitions(
        obs=jnp.tile(column[:, None], (1, 3)),
        action=jnp.tile(column[:, None], (1, 2)),
        reward=column,
        discount=jnp.ones(n),
        next_obs=jnp.tile(column[:, None], (1, 3)) + 1,
    )


def test_replay_buffer_wraps_around_and_samples_only_stored_rows() -> None:
    buffer = init_replay_buffer(capacity=10, observation_size=3, action_size=2)
    buffer = insert(buffer, _transitions(np.arange(1, 7)))
    assert int(buffer.size) == 6 and int(buffer.insert_position) == 6
    drawn = sample(buffer, jax.random.PRNGKey(0), 500)
    assert set(np.asarray(drawn.reward).tolist()) == {1.0, 2.0, 3.0, 4.0, 5.0, 6.0}
    np.testing.assert_array_equal(np.asarray(drawn.next_obs[:, 0]), np.asarray(drawn.reward) + 1)

    buffer = insert(buffer, _transitions(np.arange(7, 13)))
    assert int(buffer.size) == 10 and int(buffer.insert_position) == 2
    np.testing.assert_array_equal(np.asarray(buffer.data.reward), [11, 12, 3, 4, 5, 6, 7, 8, 9, 10])
    with pytest.raises(ValueError, match="does not fit"):
        insert(buffer, _transitions(np.arange(11)))


def test_critic_loss_does_not_differentiate_through_targets_or_actor() -> None:
    actor = Actor(hidden_sizes=(8,), action_size=2)
    critic = TwinCritic(hidden_sizes=(8,))
    obs = jnp.ones((4, 3))
    action = jnp.zeros((4, 2))
    actor_params = actor.init(jax.random.PRNGKey(0), obs)
    critic_params = critic.init(jax.random.PRNGKey(1), obs, action)
    target_params = critic.init(jax.random.PRNGKey(2), obs, action)
    losses = make_losses(actor, critic, gamma=0.99, target_entropy=-2.0)
    batch = _transitions(np.arange(4))
    key = jax.random.PRNGKey(3)
    grads = jax.grad(losses.critic_loss, argnums=(0, 1, 2))(
        critic_params, target_params, actor_params, jnp.float32(0.2), batch, key
    )
    norms = [sum(float(jnp.sum(g**2)) for g in jax.tree.leaves(part)) for part in grads]
    assert norms[0] > 0.0
    assert norms[1] == 0.0 and norms[2] == 0.0


def test_alpha_loss_raises_the_temperature_when_entropy_is_below_target() -> None:
    actor = Actor(hidden_sizes=(8,), action_size=2)
    critic = TwinCritic(hidden_sizes=(8,))
    obs = jnp.ones((16, 3))
    params = actor.init(jax.random.PRNGKey(0), obs)
    # A target entropy far above what the policy has: gradient descent must increase log_alpha.
    losses = make_losses(actor, critic, gamma=0.99, target_entropy=100.0)
    grad = jax.grad(losses.alpha_loss)(jnp.float32(0.0), params, obs, jax.random.PRNGKey(1))
    assert float(grad) < 0.0
