"""The bundled sample's detection with frames 30–59 labelled left for right, as MediaPipe does when
it takes a back for a front (not a test file): shared by the batch and extract tests."""
from pathlib import Path

import numpy as np

from ambiblend.core.detect import load_keypoints
from ambiblend.core.track.facing import swap_labels

SAMPLE_KEYPOINTS = Path(__file__).resolve().parents[1] / "assets" / "sample" / "pose2sim_cam04_keypoints.npz"
STRETCH = slice(30, 60)


def write_swapped_sample(path: Path) -> Path:
    """Write the swapped detection as a keypoint .npz at ``path`` and return it."""
    kp = load_keypoints(SAMPLE_KEYPOINTS)
    stretch = np.zeros(kp.num_frames, bool)
    stretch[STRETCH] = True
    bad = swap_labels(kp, stretch)
    np.savez(path, xy=bad.xy, conf=bad.conf, fps=bad.fps, image_size=np.array(bad.image_size))
    return path
