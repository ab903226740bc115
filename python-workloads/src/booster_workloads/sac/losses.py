"""The three SAC losses (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications").

Pure functions of (parameters first, then data); anything not being differentiated sits under
``stop_gradient``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from booster_workloads.sac.networks import Actor, Params, TwinCritic, apply_network, sample_squashed_gaussian
from booster_workloads.sac.replay import Transitions


@dataclass(frozen=True)
class SACLosses:
    alpha_loss: Callable[[jax.Array, Params, jax.Array, jax.Array], jax.Array]
    critic_loss: Callable[[Params, Params, Params, jax.Array, Transitions, jax.Array], jax.Array]
    actor_loss: Callable[[Params, Params, jax.Array, jax.Array, jax.Array], jax.Array]


def make_losses(actor: Actor, critic: TwinCritic, *, gamma: float, target_entropy: float) -> SACLosses:
    """Loss functions on already normalised observations."""

    def alpha_loss(log_alpha: jax.Array, actor_params: Params, obs: jax.Array, key: jax.Array) -> jax.Array:
        """J(alpha) = E[-alpha (log pi(a|s) + target_entropy)] (eq. 18), optimised in log space."""
        _, log_prob = sample_squashed_gaussian(apply_network(actor, actor_params, obs), key)
        return -jnp.mean(jnp.exp(log_alpha) * jax.lax.stop_gradient(log_prob + target_entropy))

    def critic_loss(
        critic_params: Params,
        target_critic_params: Params,
        actor_params: Params,
        alpha: jax.Array,
        batch: Transitions,
        key: jax.Array,
    ) -> jax.Array:
        """J(Q) = E[1/2 (Q_i(s,a) - y)^2] summed over both critics (eq. 5), with the soft target
        y = r + gamma * discount * (min_j Q'_j(s',a') - alpha log pi(a'|s')), a' ~ pi(.|s') (eq. 3)."""
        next_action, next_log_prob = sample_squashed_gaussian(
            apply_network(actor, actor_params, batch.next_obs), key
        )
        next_q = jnp.min(apply_network(critic, target_critic_params, batch.next_obs, next_action), axis=-1)
        target = batch.reward + gamma * batch.discount * (next_q - alpha * next_log_prob)
        target = jax.lax.stop_gradient(target)
        q = apply_network(critic, critic_params, batch.obs, batch.action)
        return 0.5 * jnp.mean(jnp.sum((q - target[:, None]) ** 2, axis=-1))

    def actor_loss(
        actor_params: Params, critic_params: Params, alpha: jax.Array, obs: jax.Array, key: jax.Array
    ) -> jax.Array:
        """J(pi) = E[alpha log pi(a|s) - min_j Q_j(s,a)], a reparameterised (eq. 7)."""
        action, log_prob = sample_squashed_gaussian(apply_network(actor, actor_params, obs), key)
        q = jnp.min(apply_network(critic, critic_params, obs, action), axis=-1)
        return jnp.mean(alpha * log_prob - q)

    return SACLosses(alpha_loss=alpha_loss, critic_loss=critic_loss, actor_loss=actor_loss)
