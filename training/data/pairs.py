"""Frame pairs (t, t+k) inside one sequence, drawn on the device without per-sample Python.

Used by L_bone (eq. 5) and L_tmc (eq. 9): both frames must come from the same clip and camera.
"""
from __future__ import annotations

import numpy as np
import torch

from ambiblend.core.errors import AmbiblendError


class PairSampler:
    """Draws ``n`` pairs of global frame indices (first, second) with 1 ≤ gap_min ≤ k ≤ gap_max.

    First frames are uniform over every frame that has at least ``gap_min`` frames after it in
    its sequence; k is uniform over the gaps that stay inside the sequence (capped at gap_max).
    """

    def __init__(self, starts: np.ndarray, lengths: np.ndarray, gap_min: int, gap_max: int,
                 device=None):
        starts = np.asarray(starts, dtype=np.int64)
        lengths = np.asarray(lengths, dtype=np.int64)
        ends = np.repeat(starts + lengths, lengths)             # (N,) exclusive end of each frame's sequence
        frames = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - np.concatenate(
            [[0], np.cumsum(lengths)[:-1]]), lengths)            # global indices when starts are not packed
        room = ends - 1 - frames                                  # frames after t in its sequence
        valid = room >= gap_min
        if not valid.any():
            raise AmbiblendError(f"No sequence has more than {gap_min} frames: cannot draw frame pairs "
                                 f"(lower --gap-min or give longer clips).")
        self.first = torch.from_numpy(frames[valid]).to(device)
        self.span = torch.from_numpy(np.minimum(room[valid], gap_max) - gap_min + 1).to(device)
        self.gap_min = gap_min
        self.device = device

    def __len__(self) -> int:
        return len(self.first)

    def sample(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """→ (first (n,), second (n,)) int64 global frame indices on the device."""
        pick = torch.randint(len(self.first), (n,), generator=generator, device=self.device)
        gap = (torch.rand(n, generator=generator, device=self.device) * self.span[pick]).long()
        first = self.first[pick]
        return first, first + self.gap_min + gap
