"""Detection stage: a video or a keypoint file → ``Keypoints2D`` (17 H36M joints in pixels).

Files: ``video`` (OpenCV reader), ``mediapipe_pose`` (MediaPipe Tasks PoseLandmarker runner,
``detect_video``), ``landmarks`` (33/COCO/OpenPose → H36M mapping, 2D or 3D, documented there),
``keypoint_files`` (COCO-17, OpenPose, ``.npz``), ``gaps`` (interpolation of missing
frames/joints), ``inputs`` (``read_input``). MediaPipe is imported only when a video is detected,
so keypoint files work without it; nothing here imports torch.
"""
from .inputs import KEYPOINT_EXTENSIONS, VIDEO_EXTENSIONS, list_clips, read_input, read_people
from .keypoint_files import load_keypoints, load_people
from .keypoints import Keypoints2D
from .mediapipe_pose import DEFAULT_MAX_PEOPLE, DetectionCancelled, detect_people, detect_video

__all__ = ["Keypoints2D", "detect_video", "detect_people", "load_keypoints", "load_people", "read_input",
           "read_people", "list_clips", "DetectionCancelled", "DEFAULT_MAX_PEOPLE",
           "VIDEO_EXTENSIONS", "KEYPOINT_EXTENSIONS"]
