"""Soft actor-critic in JAX for pre-training on batched MJX environments.

``training`` holds the state and the compiled iteration, ``state_io`` the exact-resume checkpoints,
``export`` the actor files the conversion stage reads.
"""
