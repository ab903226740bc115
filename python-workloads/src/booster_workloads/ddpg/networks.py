"""The critic: a fresh Q-network over the preprocessed observation and the policy's [-1, 1] action."""

from __future__ import annotations

import torch
from torch import nn


class Critic(nn.Module):
    """Q(s, a): Linear-ReLU-Linear-ReLU-Linear on ``concat(observation, action)``.

    The action is the policy's action in [-1, 1] (before torque scaling), the same space the
    exploration noise lives in, so the critic's gradient with respect to the action is the
    gradient the actor's ``tanh`` output receives.
    """

    def __init__(self, observation_size: int, action_size: int, hidden_size: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            [
                nn.Linear(observation_size + action_size, hidden_size),
                nn.Linear(hidden_size, hidden_size),
                nn.Linear(hidden_size, 1),
            ]
        )

    def forward(self, observation: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        x = torch.cat([observation, action], dim=-1)
        x = torch.relu(self.layers[0](x))
        x = torch.relu(self.layers[1](x))
        return self.layers[2](x).squeeze(-1)
