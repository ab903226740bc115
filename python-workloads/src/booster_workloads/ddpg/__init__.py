"""DDPG fine-tuning of the converted actor in the official environment (PyTorch)."""
