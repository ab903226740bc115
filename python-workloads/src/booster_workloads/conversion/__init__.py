"""Converting the pre-trained JAX SAC actor into the PyTorch DDPG actor, with numerical checks."""
