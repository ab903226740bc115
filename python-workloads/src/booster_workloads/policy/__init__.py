"""Policies in PyTorch: the DDPG actor in the official network's form and its saved files."""
