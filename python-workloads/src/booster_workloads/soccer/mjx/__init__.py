"""The three competition tasks on MuJoCo MJX, batched with ``jax.vmap``."""
