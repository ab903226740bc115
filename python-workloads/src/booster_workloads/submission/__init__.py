"""The SAI submission: TorchScript actor, numpy-only preprocessor and action function, local check."""
