"""Root trajectory from body size: a person walking away from the camera must move away in
Blender (+Y), in proportion to the change of their size in the image, also with a lifter that
has no scale module (S ≡ 1)."""
import numpy as np
import torch

from ambiblend.core.detect.keypoints import Keypoints2D
from ambiblend.core.lift.checkpoint import load_model, save_checkpoint
from ambiblend.core.lift.model import Lifter
from ambiblend.core.pipeline import PipelineOptions, lift_keypoints
from ambiblend.core.scale.model import ScaleNet
from ambiblend.core.scale.trajectory import focal_pixels, size_consistency
from ambiblend.core.skeleton import PARENTS, ROOT


def _standing_pose():
    """A plausible 17-joint pose in metres, camera frame (x right, y down), pelvis at the origin."""
    p = np.zeros((17, 3))
    p[1], p[2], p[3] = [-0.1, 0, 0], [-0.1, 0.45, 0], [-0.1, 0.88, 0]
    p[4], p[5], p[6] = [0.1, 0, 0], [0.1, 0.45, 0], [0.1, 0.88, 0]
    p[7], p[8], p[9], p[10] = [0, -0.25, 0], [0, -0.5, 0], [0, -0.62, 0], [0, -0.74, 0]
    p[11], p[12], p[13] = [0.18, -0.5, 0], [0.2, -0.22, 0], [0.22, 0.02, 0]
    p[14], p[15], p[16] = [-0.18, -0.5, 0], [-0.2, -0.22, 0], [-0.22, 0.02, 0]
    return p


def test_size_consistency_undoes_a_per_frame_scale():
    base = _standing_pose()
    a = np.linspace(0.5, 2.0, 9)
    k = size_consistency(base[None] * a[:, None, None])
    np.testing.assert_allclose(k * a, np.median(a), rtol=1e-9)


def test_walking_away_moves_the_root_away_with_a_flat_lifter(tmp_path):
    # A lifter whose last layer is zero predicts no depth offsets (a flat pose at depth D) and a
    # Φ_S fixed at 1.0: all depth information has to come from the body's size in the image.
    torch.manual_seed(0)
    args = {"scale": {"width": 16, "init_scale": 1.0}, "lifter": {"width": 16, "blocks": 1}}
    lifter = Lifter(**args["lifter"])
    torch.nn.init.zeros_(lifter.mlp.out.weight)
    torch.nn.init.zeros_(lifter.mlp.out.bias)
    save_checkpoint(tmp_path / "flat.pt", ScaleNet(**args["scale"]), lifter, args, {"mode": "clip"})
    model = load_model(tmp_path / "flat.pt", "cpu")

    size = (1080, 1920)
    f = focal_pixels(size, 28.0)
    depth = np.linspace(3.0, 6.0, 31)  # walks straight away from 3 m to 6 m
    pose = _standing_pose()
    cam = pose[None] + np.stack([np.zeros_like(depth), np.zeros_like(depth), depth], -1)[:, None]
    xy = f * cam[..., :2] / cam[..., 2:] + np.array([size[0] / 2, size[1] / 2])
    kp = Keypoints2D(xy=xy, conf=np.ones((31, 17)), filled=np.zeros(31, bool), fps=30.0,
                     image_size=size, source="walk_away.npz")
    motion = lift_keypoints(kp, model, PipelineOptions(subject_height=1.7, focal_35mm=28.0))
    y = motion.joints[:, ROOT, 1]  # Blender +Y = away from the camera
    travelled = y - y[0]
    # The metric scale comes from the assumed height, so compare the shape of the path.
    ratio = travelled / travelled[-1]
    np.testing.assert_allclose(ratio, (depth - depth[0]) / (depth[-1] - depth[0]), atol=0.01)
    assert travelled[-1] > 0.5  # metres: clearly moves away
    # Constant body size in every frame (bone lengths of the output stay within 1 %).
    lengths = np.linalg.norm(motion.joints[:, 1:] - motion.joints[:, list(PARENTS[1:])], axis=-1)
    assert np.max(np.std(lengths, axis=0) / np.mean(lengths, axis=0)) < 0.01
