"""One entry point for the clip the user picked: a video (detected with MediaPipe) or a keypoint
file from another detector. The Blender layer and the batch script call ``read_input`` (the chosen
person) or ``read_people`` (everyone, for the panel's list and "all")."""
from __future__ import annotations

from pathlib import Path

from ..errors import AmbiblendError
from ..track.choose import choose
from ..track.people import People
from .keypoint_files import holds_openpose_frames, load_people
from .keypoints import Keypoints2D
from .mediapipe_pose import DEFAULT_MAX_PEOPLE, detect_people

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
KEYPOINT_EXTENSIONS = (".npz", ".json")


def is_video(path) -> bool:
    """A video file by its extension (a folder never is: it holds OpenPose frames)."""
    path = Path(path)
    return path.suffix.lower() in VIDEO_EXTENSIONS and not path.is_dir()


def read_input(path, progress=None, person="largest", max_people: int = DEFAULT_MAX_PEOPLE,
               cache: bool = False, jobs: int = 1) -> Keypoints2D:
    """The chosen person (``core.track.choose``; not "all") of a video or keypoint file.

    progress is passed to detection (see ``detect_video``); a keypoint file loads at once.
    jobs: processes detecting a long video in chunks (``detect_people``).
    """
    people = read_people(path, progress, max_people, cache, jobs)
    chosen = choose(people, person)
    if len(chosen) != 1:
        raise AmbiblendError("read_input gives one person; use read_people for all of them.")
    return people.keypoints(chosen[0])


# With cache=True (the Blender layer), the last video detected, so that listing the people
# (panel) and then lifting one of them, or another, does not detect again:
# (path, size, mtime, max_people) → People.
_last: dict = {}


def read_people(path, progress=None, max_people: int = DEFAULT_MAX_PEOPLE, cache: bool = False,
                jobs: int = 1) -> People:
    """Everyone in a video (``detect_people``) or a keypoint file (``load_people``) as ``People``.

    cache: keep the last video's result in memory while its file is unchanged (same size and
    modification time), and answer a call for it again at once."""
    path = Path(path)
    if not path.exists():
        raise AmbiblendError(f"Input not found: {path}")
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in KEYPOINT_EXTENSIONS:
        return load_people(path)
    if is_video(path):
        stat = path.stat() if path.is_file() else None
        key = (str(path.resolve()), stat and stat.st_size, stat and stat.st_mtime_ns, int(max_people))
        if cache and key in _last:
            return _last[key]
        people = detect_people(path, progress=progress, max_people=max_people, jobs=jobs)
        if cache:
            _last.clear()
            _last[key] = people
        return people
    raise AmbiblendError(f"{path.name}: unsupported input type '{suffix}'. Use a video "
                         f"({', '.join(VIDEO_EXTENSIONS)}) or a keypoint file ({', '.join(KEYPOINT_EXTENSIONS)}).")


def list_clips(path) -> list[Path]:
    """The clips a batch run processes for ``path``, sorted.

    A file is one clip; so is a folder of per-frame OpenPose files. Any other folder holds clips:
    the videos and keypoint files directly inside it, and its sub-folders of per-frame OpenPose
    files (OpenPose writes one such folder per video). Per-frame OpenPose files lying loose in a
    folder of clips are frames, not clips, and are skipped.
    """
    path = Path(path)
    if path.is_file() or is_openpose_folder(path):
        return [path]
    if not path.is_dir():
        raise AmbiblendError(f"Input not found: {path}")
    known = {e.lower() for e in (*VIDEO_EXTENSIONS, *KEYPOINT_EXTENSIONS)}
    found = sorted(p for p in path.iterdir()
                   if (p.is_file() and p.suffix.lower() in known and not _is_openpose_frame(p))
                   or is_openpose_folder(p))
    if not found:
        raise AmbiblendError(f"No videos, keypoint files or OpenPose folders in {path} "
                             f"(looked for {', '.join(sorted(known))}).")
    return found


def is_openpose_folder(path) -> bool:
    """True for a folder of per-frame OpenPose files (OpenPose's ``--write_json`` output): one
    clip, not a folder of clips. Decided on its first .json file; videos or .npz files in it say
    otherwise (OpenPose writes only .json)."""
    path = Path(path)
    if not path.is_dir() or any(p.suffix.lower() in (*VIDEO_EXTENSIONS, ".npz") for p in path.iterdir()):
        return False
    return holds_openpose_frames(path)


def _is_openpose_frame(path: Path) -> bool:
    """A single per-frame OpenPose .json (``*_keypoints.json`` by OpenPose's naming)."""
    return path.suffix.lower() == ".json" and path.name.lower().endswith("_keypoints.json")
