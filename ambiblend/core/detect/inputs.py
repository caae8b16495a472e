"""One entry point for the clip the user picked: a video (detected with MediaPipe) or a keypoint
file from another detector. The Blender layer and the batch script call ``read_input``."""
from __future__ import annotations

from pathlib import Path

from ..errors import AmbiblendError
from .keypoint_files import load_keypoints
from .keypoints import Keypoints2D
from .mediapipe_pose import detect_video

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
KEYPOINT_EXTENSIONS = (".npz", ".json")


def read_input(path, progress=None) -> Keypoints2D:
    """Video → ``detect_video``; ``.npz``/``.json``/folder of ``.json`` → ``load_keypoints``.

    progress is passed to detection (see ``detect_video``); a keypoint file loads at once.
    """
    path = Path(path)
    if not path.exists():
        raise AmbiblendError(f"Input not found: {path}")
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in KEYPOINT_EXTENSIONS:
        return load_keypoints(path)
    if suffix in VIDEO_EXTENSIONS:
        return detect_video(path, progress=progress)
    raise AmbiblendError(f"{path.name}: unsupported input type '{suffix}'. Use a video "
                         f"({', '.join(VIDEO_EXTENSIONS)}) or a keypoint file ({', '.join(KEYPOINT_EXTENSIONS)}).")
