"""Camera calibrations for multi-view work: one ``Camera`` type and readers for the formats users have.

Convention of ``Camera`` (OpenCV's): a world point X (metres) maps to the camera frame as
``x_cam = R @ X + t`` (x right, y down, z forward, looking down +z), then to pixels through the
distortion (k1, k2, p1, p2[, k3]) and K. Every reader converts to this; nothing downstream
knows which file a camera came from.

Readers:

- ``read_qca``: Qualisys QCA XML (the Pose2Sim demo's ``Calib.qca.txt``). Found and checked on
  the Pose2Sim clips by reprojecting triangulated MediaPipe joints (``tests/test_calibration.py``):
  focal lengths and centre point are sensor sub-pixels (÷64 → pixels of the video frame);
  ``transform``'s r11..r33 (row by row) rotate world into an OpenGL-style camera (looking down
  −z, y up), so R = diag(1, −1, −1)·M; x, y, z is the camera *centre* in world millimetres, so
  t = −R·C (converted to metres). World z is up.
- ``read_toml``: Pose2Sim/anipose TOML — one table per camera with ``matrix`` (K),
  ``distortions``, ``rotation`` (Rodrigues vector) and ``translation`` (metres), ``size``.
- ``read_yaml``: OpenCV ``FileStorage`` YAML/XML with K, dist, R (3×3 or Rodrigues 3×1), t —
  one camera per file (common key spellings accepted, see ``_YAML_KEYS``).
"""
from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AmbiblendError
from ..geometry import rotation_about_axis

# QCA stores the intrinsics in sensor sub-pixels: 64 sub-pixels per image pixel.
QCA_SUBPIXELS = 64.0
# OpenGL camera (−z forward, y up) → OpenCV camera (+z forward, y down).
GL_TO_CV = np.diag([1.0, -1.0, -1.0])


@dataclass
class Camera:
    """One calibrated camera (OpenCV convention, see the module docstring).

    K: (3, 3) intrinsics in pixels. dist: (5,) k1, k2, p1, p2, k3. R: (3, 3) world → camera.
    t: (3,) metres. image_size: (width, height) pixels.
    """
    name: str
    K: np.ndarray
    dist: np.ndarray
    R: np.ndarray
    t: np.ndarray
    image_size: tuple[int, int]

    def __post_init__(self):
        self.K = np.asarray(self.K, dtype=np.float64).reshape(3, 3)
        d = np.zeros(5)
        dist = np.asarray(self.dist, dtype=np.float64).ravel()
        if dist.size > 5 and np.any(dist[5:] != 0):
            raise AmbiblendError(f"Camera {self.name}: only k1, k2, p1, p2, k3 distortion is supported.")
        d[:min(dist.size, 5)] = dist[:5]
        self.dist = d
        self.R = np.asarray(self.R, dtype=np.float64).reshape(3, 3)
        self.t = np.asarray(self.t, dtype=np.float64).reshape(3)
        if not np.allclose(self.R @ self.R.T, np.eye(3), atol=1e-5) or np.linalg.det(self.R) < 0:
            raise AmbiblendError(f"Camera {self.name}: the rotation is not a proper rotation matrix.")
        if self.K[0, 0] <= 0 or self.K[1, 1] <= 0:
            raise AmbiblendError(f"Camera {self.name}: focal lengths must be positive.")

    @property
    def center(self) -> np.ndarray:
        """Camera centre in world coordinates (3,)."""
        return -self.R.T @ self.t

    @property
    def extrinsic(self) -> np.ndarray:
        """[R | t], (3, 4): world → camera frame (the projection matrix in normalised coordinates)."""
        return np.hstack([self.R, self.t[:, None]])

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) → camera frame (..., 3)."""
        return np.asarray(points) @ self.R.T + self.t

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) → distorted pixels (..., 2) (NaN behind the camera)."""
        pc = self.to_camera(points)
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = pc[..., :2] / np.where(pc[..., 2:] > 0, pc[..., 2:], np.nan)
        return self.normalized_to_pixels(distort(xn, self.dist))

    def normalized_to_pixels(self, xn: np.ndarray) -> np.ndarray:
        """(..., 2) image-plane coordinates (distorted or not) → pixels through K."""
        k = self.K
        u = k[0, 0] * xn[..., 0] + k[0, 1] * xn[..., 1] + k[0, 2]
        v = k[1, 1] * xn[..., 1] + k[1, 2]
        return np.stack([u, v], axis=-1)

    def undistort(self, pixels: np.ndarray, iterations: int = 20) -> np.ndarray:
        """Distorted pixels (..., 2) → ideal normalised coordinates (x/z, y/z) (..., 2)."""
        pixels = np.asarray(pixels, dtype=np.float64)
        k = self.K
        yd = (pixels[..., 1] - k[1, 2]) / k[1, 1]
        xd = (pixels[..., 0] - k[0, 2] - k[0, 1] * yd) / k[0, 0]
        return undistort_normalized(np.stack([xd, yd], axis=-1), self.dist, iterations)


def distort(xn: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """OpenCV's radial-tangential model on normalised coordinates (..., 2); dist = k1,k2,p1,p2,k3."""
    k1, k2, p1, p2, k3 = dist
    x, y = xn[..., 0], xn[..., 1]
    r2 = x * x + y * y
    radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    return np.stack([xd, yd], axis=-1)


def undistort_normalized(xd: np.ndarray, dist: np.ndarray, iterations: int = 20) -> np.ndarray:
    """Invert ``distort`` by fixed-point iteration (OpenCV's ``undistortPoints`` scheme).

    Converges to ~1e-12 in a few steps for the mild lens distortion of video cameras.
    """
    if not np.any(dist):
        return np.array(xd, dtype=np.float64)
    k1, k2, p1, p2, k3 = dist
    x, y = xd[..., 0].copy(), xd[..., 1].copy()
    for _ in range(iterations):
        r2 = x * x + y * y
        radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
        dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
        dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
        x = (xd[..., 0] - dx) / radial
        y = (xd[..., 1] - dy) / radial
    return np.stack([x, y], axis=-1)


def read_calibration(path) -> list[Camera]:
    """Dispatch on the file name: ``.qca.txt``/``.qca`` → QCA, ``.toml`` → TOML, ``.yml/.yaml/.xml``
    → OpenCV FileStorage (one camera). Cameras come back in file order."""
    path = Path(path)
    name = path.name.lower()
    if not path.is_file():
        raise AmbiblendError(f"Calibration file not found: {path}")
    if name.endswith((".qca.txt", ".qca")):
        return read_qca(path)
    if name.endswith(".toml"):
        return read_toml(path)
    if name.endswith((".yml", ".yaml", ".xml")):
        return [read_yaml(path)]
    raise AmbiblendError(f"Unknown calibration format: {path.name} (expected .qca.txt, .toml, .yml/.yaml).")


def read_qca(path) -> list[Camera]:
    """Qualisys QCA XML → cameras (see the module docstring for the conventions)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise AmbiblendError(f"{path.name} is not a readable QCA calibration ({exc}).") from exc
    cams = root.findall("./cameras/camera")
    if not cams:
        raise AmbiblendError(f"{path.name} holds no <camera> entries: not a QCA calibration.")
    return [_qca_camera(c, path.name) for c in cams]


def _qca_camera(node: ET.Element, filename: str) -> Camera:
    name = node.get("serial") or f"cam{node.get('id', '')}"
    tr, intr, fov = node.find("transform"), node.find("intrinsic"), node.find("fov_video")
    if tr is None or intr is None:
        raise AmbiblendError(f"{filename}: camera {name} lacks <transform> or <intrinsic>.")
    try:
        m = np.array([[float(tr.get(f"r{i}{j}")) for j in (1, 2, 3)] for i in (1, 2, 3)])
        c = np.array([float(tr.get(k)) for k in ("x", "y", "z")]) / 1000.0  # mm → m
        s = QCA_SUBPIXELS
        fu, fv = float(intr.get("focalLengthU")) / s, float(intr.get("focalLengthV")) / s
        cu, cv = float(intr.get("centerPointU")) / s, float(intr.get("centerPointV")) / s
        dist = [float(intr.get(k, 0.0)) for k in ("radialDistortion1", "radialDistortion2",
                                                    "tangentalDistortion1", "tangentalDistortion2",
                                                    "radialDistortion3")]
    except (TypeError, ValueError) as exc:
        raise AmbiblendError(f"{filename}: camera {name} has a missing or non-numeric value ({exc}).") from exc
    if fov is not None:
        # fov_video gives the last pixel indices of the video window inside the sensor.
        left, top = float(fov.get("left", 0)), float(fov.get("top", 0))
        size = (int(float(fov.get("right")) - left + 1), int(float(fov.get("bottom")) - top + 1))
        cu, cv = cu - left, cv - top
    else:
        size = (int(float(intr.get("sensorMaxU")) / s), int(float(intr.get("sensorMaxV")) / s))
    R = GL_TO_CV @ m
    K = [[fu, 0.0, cu], [0.0, fv, cv], [0.0, 0.0, 1.0]]
    return Camera(name=name, K=K, dist=dist, R=R, t=-R @ c, image_size=size)


def read_toml(path) -> list[Camera]:
    """Pose2Sim/anipose TOML: ``[cam_x]`` tables with name, size, matrix, distortions,
    rotation (Rodrigues, rad), translation (metres). Tables without ``matrix`` are skipped."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise AmbiblendError(f"{path.name} is not a readable TOML calibration ({exc}).") from exc
    cams = []
    for key, table in data.items():
        if not isinstance(table, dict) or "matrix" not in table:
            continue  # e.g. [metadata]
        try:
            R = _rotation(np.asarray(table["rotation"], dtype=np.float64))
            cams.append(Camera(name=str(table.get("name", key)), K=table["matrix"],
                               dist=table.get("distortions", [0, 0, 0, 0]), R=R,
                               t=table["translation"], image_size=_size(table.get("size"))))
        except (KeyError, ValueError, TypeError) as exc:
            raise AmbiblendError(f"{path.name}: camera [{key}] is incomplete or malformed ({exc}).") from exc
    if not cams:
        raise AmbiblendError(f"{path.name} holds no camera tables with a 'matrix'.")
    return cams


# Accepted spellings in OpenCV YAML files (first found wins).
_YAML_KEYS = {
    "K": ("K", "camera_matrix", "cameraMatrix", "intrinsics", "M"),
    "dist": ("dist", "D", "distortion_coefficients", "dist_coeffs", "distCoeffs", "distortion"),
    "R": ("R", "rotation", "rvec", "rotation_matrix"),
    "t": ("t", "T", "translation", "tvec"),
}


def read_yaml(path) -> Camera:
    """One camera from an OpenCV FileStorage file (``%YAML:1.0`` with ``!!opencv-matrix``).

    R may be a 3×3 matrix or a Rodrigues vector; t is taken as metres. Image size from
    ``image_width``/``image_height`` or ``size`` = [w, h] when present (else (0, 0))."""
    import cv2  # opencv ships with the detector; needed only for this format

    path = Path(path)
    fs = cv2.FileStorage(str(path), cv2.FILE_STORAGE_READ)
    try:
        if not fs.isOpened():
            raise AmbiblendError(f"{path.name} is not a readable OpenCV YAML/XML calibration.")
        values = {}
        for field_name, keys in _YAML_KEYS.items():
            values[field_name] = next((m for m in (_fs_array(fs, k) for k in keys) if m is not None), None)
        missing = [k for k, v in values.items() if v is None and k != "dist"]
        if missing:
            raise AmbiblendError(f"{path.name} lacks {', '.join(missing)} (looked for {', '.join(_YAML_KEYS[missing[0]])}).")
        w, h = _fs_array(fs, "image_width"), _fs_array(fs, "image_height")
        size = _size(_fs_array(fs, "size")) if w is None or h is None else (int(w), int(h))
    finally:
        fs.release()
    dist = values["dist"] if values["dist"] is not None else np.zeros(5)
    return Camera(name=path.stem, K=values["K"], dist=dist, R=_rotation(values["R"]),
                  t=values["t"], image_size=size)


def _fs_array(fs, key: str):
    node = fs.getNode(key)
    if node.empty():
        return None
    if node.isSeq():
        return np.array([node.at(i).real() for i in range(node.size())])
    if node.isReal() or node.isInt():
        return np.array(node.real())
    mat = node.mat()
    return None if mat is None else np.asarray(mat, dtype=np.float64)


def _rotation(r: np.ndarray) -> np.ndarray:
    """3×3 matrix as is, or a Rodrigues 3-vector → matrix."""
    r = np.asarray(r, dtype=np.float64)
    if r.size == 9:
        return r.reshape(3, 3)
    if r.size == 3:
        angle = float(np.linalg.norm(r))
        return np.eye(3) if angle < 1e-15 else rotation_about_axis(r.ravel(), angle)
    raise AmbiblendError(f"A rotation must be 3×3 or a Rodrigues 3-vector, got {r.size} numbers.")


def _size(size) -> tuple[int, int]:
    if size is None:
        return (0, 0)
    s = np.asarray(size, dtype=np.float64).ravel()
    return (int(s[0]), int(s[1])) if s.size >= 2 else (0, 0)
