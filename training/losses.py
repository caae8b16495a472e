"""The losses of the paper (eq. 4–13) and the random view V with its inverse.

Frames: camera frame of the model (x right, y down, z away), unit focal length, root at depth D.
All 3D tensors are (B, 17, 3), 2D tensors (B, 17, 2). Every loss returns a scalar mean over the
batch, so its value does not depend on the batch size.
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from ambiblend.core.skeleton import ROOT, THORAX, bone_lengths


def kl_loss(scale: torch.Tensor, mu: float, sigma: float) -> torch.Tensor:
    """Eq. 4: KL(N(μ̂, σ̂) ‖ N(μ, σ)), μ̂/σ̂ = mean/std (population) of the batch's scales (B,).

    = log(σ/σ̂) + (σ̂² + (μ − μ̂)²) / (2σ²) − ½; zero iff the batch matches the prior's moments.
    """
    mu_hat = scale.mean()
    sigma_hat = scale.std(correction=0).clamp_min(1e-6)  # a constant batch must not give log(0)
    return (math.log(sigma) - torch.log(sigma_hat)
            + (sigma_hat ** 2 + (mu - mu_hat) ** 2) / (2 * sigma ** 2) - 0.5)


def bone_loss(joints_a: torch.Tensor, joints_b: torch.Tensor, norm: str = "absolute") -> torch.Tensor:
    """Eq. 5: ‖B(J_t) − B(J_{t+l})‖² summed over the 16 bones, mean over the batch.

    ``relative`` divides each pair's term by its mean squared bone length [choice]: the absolute
    form also falls when Φ_S shrinks every pose (∝ S²), which on our data pulled S into a
    near-constant below the prior instead of making the sizes agree.
    """
    a, b = bone_lengths(joints_a), bone_lengths(joints_b)
    per_pair = ((a - b) ** 2).sum(-1)
    if norm == "relative":
        per_pair = per_pair / ((a + b) / 2).pow(2).mean(-1).clamp_min(1e-12)
    return per_pair.mean()


def pose_distance(a: torch.Tensor, b: torch.Tensor, norm: str = "squared") -> torch.Tensor:
    """Eq. 11 distance between poses (B, J, C): mean over batch and joints of the squared
    per-joint distance ('squared', the paper) or of the distance ('euclidean', released code)."""
    sq = ((a - b) ** 2).sum(-1)
    if norm == "squared":
        return sq.mean()
    return (sq + 1e-12).sqrt().mean()  # eps keeps the gradient finite at zero distance


def tmc_loss(j3d_t: torch.Tensor, j3d_tk: torch.Tensor, cyc_t: torch.Tensor, cyc_tk: torch.Tensor,
             norm: str = "squared") -> torch.Tensor:
    """Eq. 9: the motion J3D_t − J3D_{t+k} must survive the view cycle (→ J̃3D_t − J̃3D_{t+k})."""
    return pose_distance(j3d_t - j3d_tk, cyc_t - cyc_tk, norm)


def adversarial_d_loss(real_score: torch.Tensor, fake_score: torch.Tensor, kind: str = "lsgan") -> torch.Tensor:
    """Discriminator side. lsgan (eq. 12): E[(D(real) − 1)²] + E[D(fake)²]; bce: with logits."""
    if kind == "lsgan":
        return ((real_score - 1) ** 2).mean() + (fake_score ** 2).mean()
    return (F.binary_cross_entropy_with_logits(real_score, torch.ones_like(real_score))
            + F.binary_cross_entropy_with_logits(fake_score, torch.zeros_like(fake_score)))


def adversarial_g_loss(fake_score: torch.Tensor, kind: str = "lsgan") -> torch.Tensor:
    """Generator side (eq. 13): lsgan E[(D(fake) − 1)²]; bce: −log σ(D(fake))."""
    if kind == "lsgan":
        return ((fake_score - 1) ** 2).mean()
    return F.binary_cross_entropy_with_logits(fake_score, torch.ones_like(fake_score))


def axis_rotation(axis: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Rodrigues: (n,3) unit axes, (n,) angles → (n,3,3) rotations about those axes."""
    x, y, z = axis.unbind(-1)
    zero = torch.zeros_like(x)
    k = torch.stack([torch.stack([zero, -z, y], -1), torch.stack([z, zero, -x], -1),
                     torch.stack([-y, x, zero], -1)], -2)
    eye = torch.eye(3, dtype=axis.dtype, device=axis.device).expand_as(k)
    s, c = angle.sin()[:, None, None], angle.cos()[:, None, None]
    return eye + s * k + (1 - c) * (k @ k)


def random_rotation(n: int, azimuth: float, elevation: float, roll: float = 0.0,
                    generator: torch.Generator | None = None, device=None,
                    up: torch.Tensor | None = None) -> torch.Tensor:
    """(n, 3, 3) rotations R = R_z(roll)·R_x(elev)·R_up(az), angles ~ U(−bound, bound).

    Azimuth turns the subject about ``up`` ((n,3) unit vectors, e.g. the body's own vertical
    axis; default the camera's vertical y axis), elevation tilts the view about the camera's
    horizontal x axis, roll turns about the optical axis.
    """
    u = torch.rand(n, 3, generator=generator, device=device) * 2 - 1
    az, el, ro = u[:, 0] * azimuth, u[:, 1] * elevation, u[:, 2] * roll
    if up is None:
        up = torch.tensor([0.0, 1.0, 0.0], device=u.device).expand(n, 3)
    x_axis = torch.tensor([1.0, 0.0, 0.0], device=u.device).expand(n, 3)
    z_axis = torch.tensor([0.0, 0.0, 1.0], device=u.device).expand(n, 3)
    r = axis_rotation(up.to(u.dtype), az)
    return axis_rotation(z_axis, ro) @ axis_rotation(x_axis, el) @ r


def body_up(joints: torch.Tensor) -> torch.Tensor:
    """(B,17,3) → (B,3) the body's vertical axis in the camera frame: unit pelvis→thorax vector."""
    v = joints[:, THORAX] - joints[:, ROOT]
    return v / v.norm(dim=-1, keepdim=True).clamp_min(1e-9)


def apply_view(joints: torch.Tensor, rotation: torch.Tensor, root_depth: float) -> torch.Tensor:
    """Eq. 8: JR = R·(J − J_root) + T, T = (0, 0, D). joints (B,17,3), rotation (B,3,3)."""
    rel = joints - joints[:, ROOT:ROOT + 1]
    t = torch.tensor([0.0, 0.0, root_depth], device=joints.device, dtype=joints.dtype)
    return rel @ rotation.transpose(1, 2) + t


def invert_view(joints: torch.Tensor, rotation: torch.Tensor, root: torch.Tensor) -> torch.Tensor:
    """Inverse of V: J = Rᵀ·(JR − JR_root) + root. root (B,1,3) = the original pose's root."""
    rel = joints - joints[:, ROOT:ROOT + 1]
    return rel @ rotation + root
