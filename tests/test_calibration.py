"""Calibration readers (QCA, TOML, OpenCV YAML) on small files the tests write, the distortion
model against OpenCV, and the QCA convention proven by reprojection on the real Pose2Sim clips."""
import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.multiview.calibration import (Camera, read_calibration, read_qca, read_toml,
                                                  read_yaml)

QCA = """<?xml version='1.0' encoding='ASCII'?>
<calibration type="regular">
  <cameras>
    <camera active="1" serial="camA">
      <fov_video bottom="1919" left="0" right="1087" top="0"/>
      <transform r11="0.5536380477336265" r12="0.8046719867383512" r13="0.2144479094331626" r21="-0.4345300743838753" r22="0.05946489349975602" r23="0.8986921279821063" r31="0.7104002579937896" r32="-0.5907342212870501" r33="0.3825762057979294" x="1460.0" y="-1909.0" z="1896.5"/>
      <intrinsic centerPointU="34112.0" centerPointV="60672.0" focalLengthU="107584.0" focalLengthV="107520.0" radialDistortion1="-0.046" radialDistortion2="0.139" radialDistortion3="0.0" sensorMaxU="69568" sensorMaxV="122816" tangentalDistortion1="0.0006" tangentalDistortion2="0.0007"/>
    </camera>
    <camera active="1" serial="camB">
      <fov_video bottom="1019" left="100" right="739" top="20"/>
      <transform r11="1" r12="0" r13="0" r21="0" r22="1" r23="0" r31="0" r32="0" r33="1" x="0" y="0" z="3000"/>
      <intrinsic centerPointU="25600" centerPointV="33280" focalLengthU="64000" focalLengthV="64000" radialDistortion1="0" radialDistortion2="0" sensorMaxU="69568" sensorMaxV="122816" tangentalDistortion1="0" tangentalDistortion2="0"/>
    </camera>
  </cameras>
</calibration>
"""


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_qca_reader_units_and_convention(tmp_path):
    path = tmp_path / "Calib.qca.txt"
    path.write_text(QCA)
    a, b = read_calibration(path)
    assert (a.name, b.name) == ("camA", "camB")
    # sub-pixels ÷ 64 → pixels; distortion in OpenCV order k1, k2, p1, p2, k3
    np.testing.assert_allclose(a.K, [[1681.0, 0, 533.0], [0, 1680.0, 948.0], [0, 0, 1]], atol=1e-12)
    np.testing.assert_allclose(a.dist, [-0.046, 0.139, 0.0006, 0.0007, 0.0], atol=1e-12)
    assert a.image_size == (1088, 1920)
    # R = diag(1, −1, −1)·M, the centre comes back in metres, t = −R·C
    m = np.array([[0.5536380477336265, 0.8046719867383512, 0.2144479094331626],
                  [-0.4345300743838753, 0.05946489349975602, 0.8986921279821063],
                  [0.7104002579937896, -0.5907342212870501, 0.3825762057979294]])
    np.testing.assert_allclose(a.R, np.diag([1, -1, -1]) @ m, atol=1e-12)
    np.testing.assert_allclose(a.center, [1.46, -1.909, 1.8965], atol=1e-9)
    # camB: identity transform at 3 m above the origin looks down (OpenGL −z) at the world origin;
    # the video window starts at (100, 20) of the sensor, so the principal point moves by it.
    assert b.image_size == (640, 1000)
    np.testing.assert_allclose(b.K[:2, 2], [400.0 - 100, 520.0 - 20])
    np.testing.assert_allclose(b.project(np.array([0.0, 0.0, 0.0])), [300.0, 500.0], atol=1e-9)
    # world +x is image right, world +y (up in the OpenGL image) is image up = smaller v
    uv = b.project(np.array([[0.3, 0.0, 0.0], [0.0, 0.3, 0.0]]))
    np.testing.assert_allclose(uv, [[300 + 1000 * 0.1, 500], [300, 500 - 1000 * 0.1]], atol=1e-9)


@pytest.mark.parametrize("text, message", [
    (QCA.replace('focalLengthU="64000"', 'focalLengthU="abc"'), "camera camB has a missing or non-numeric value"),
    (QCA.replace('<transform r11="1"', '<transformed r11="1"'), "camera camB lacks <transform> or <intrinsic>"),
    ("<calibration><cameras/></calibration>", "holds no <camera> entries"),
    ("not xml at all <", "not a readable QCA calibration"),
])
def test_qca_reader_errors_leave_file_unchanged(tmp_path, text, message):
    path = tmp_path / "broken.qca.txt"
    path.write_text(text)
    before = digest(path)
    with pytest.raises(AmbiblendError, match=message):
        read_calibration(path)
    assert digest(path) == before


def test_unknown_or_missing_calibration_file(tmp_path):
    with pytest.raises(AmbiblendError, match="Calibration file not found"):
        read_calibration(tmp_path / "missing.qca.txt")
    other = tmp_path / "calib.json"
    other.write_text("{}")
    with pytest.raises(AmbiblendError, match="Unknown calibration format: calib.json"):
        read_calibration(other)


def test_projection_and_undistortion_match_opencv():
    rng = np.random.default_rng(3)
    rvec = np.array([0.2, -0.4, 0.1])
    R = cv2.Rodrigues(rvec)[0]
    cam = Camera("c", K=[[1500, 0, 530], [0, 1490, 970], [0, 0, 1]],
                 dist=[-0.05, 0.14, 6e-4, -7e-4, 0.01], R=R, t=[0.1, -0.2, 3.5], image_size=(1080, 1920))
    pts = rng.uniform(-1, 1, size=(200, 3))
    ours = cam.project(pts)
    ref = cv2.projectPoints(pts, rvec, cam.t, cam.K, cam.dist)[0][:, 0]
    assert np.abs(ours - ref).max() < 1e-6  # pixels
    xn = cam.undistort(ours)
    pc = cam.to_camera(pts)
    assert np.abs(xn - pc[:, :2] / pc[:, 2:]).max() < 1e-9


def test_toml_reader(tmp_path):
    path = tmp_path / "Calib_scene.toml"
    path.write_text("""
[cam_01]
name = "cam01"
size = [ 1088.0, 1920.0,]
matrix = [ [ 1681.0, 0.0, 533.0,], [ 0.0, 1680.0, 948.0,], [ 0.0, 0.0, 1.0,],]
distortions = [ -0.046, 0.139, 0.0006, 0.0007,]
rotation = [ 0.2, -0.4, 0.1,]
translation = [ 0.1, -0.2, 3.5,]
fisheye = false

[metadata]
adjusted = false
error = 0.0
""")
    (cam,) = read_calibration(path)
    assert cam.name == "cam01" and cam.image_size == (1088, 1920)
    np.testing.assert_allclose(cam.R, cv2.Rodrigues(np.array([0.2, -0.4, 0.1]))[0], atol=1e-12)
    np.testing.assert_allclose(cam.t, [0.1, -0.2, 3.5])
    np.testing.assert_allclose(cam.dist, [-0.046, 0.139, 0.0006, 0.0007, 0.0])
    path.write_text('[cam_01]\nmatrix = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]\n')
    with pytest.raises(AmbiblendError, match=r"camera \[cam_01\] is incomplete or malformed"):
        read_toml(path)


def test_opencv_yaml_reader(tmp_path):
    path = tmp_path / "cam7.yml"
    K = np.array([[1500.0, 0, 530], [0, 1490, 970], [0, 0, 1]])
    R = cv2.Rodrigues(np.array([0.1, 0.2, -0.3]))[0]
    fs = cv2.FileStorage(str(path), cv2.FILE_STORAGE_WRITE)
    fs.write("image_width", 1080)
    fs.write("image_height", 1920)
    fs.write("camera_matrix", K)
    fs.write("distortion_coefficients", np.array([[-0.05, 0.1, 0.001, 0.002, 0.0]]))
    fs.write("R", R)
    fs.write("T", np.array([[0.5], [0.0], [4.0]]))
    fs.release()
    cam = read_yaml(path)
    assert cam.name == "cam7" and cam.image_size == (1080, 1920)
    np.testing.assert_allclose(cam.K, K)
    np.testing.assert_allclose(cam.R, R, atol=1e-12)
    np.testing.assert_allclose(cam.t, [0.5, 0.0, 4.0])
    # a Rodrigues vector instead of a matrix gives the same camera
    fs = cv2.FileStorage(str(tmp_path / "rvec.yaml"), cv2.FILE_STORAGE_WRITE)
    fs.write("K", K)
    fs.write("rvec", np.array([[0.1], [0.2], [-0.3]]))
    fs.write("tvec", np.array([[0.5], [0.0], [4.0]]))
    fs.release()
    np.testing.assert_allclose(read_calibration(tmp_path / "rvec.yaml")[0].R, R, atol=1e-12)
    bad = tmp_path / "nok.yml"
    fs = cv2.FileStorage(str(bad), cv2.FILE_STORAGE_WRITE)
    fs.write("K", K)
    fs.release()
    with pytest.raises(AmbiblendError, match="nok.yml lacks R, t"):
        read_yaml(bad)


def test_camera_rejects_non_rotation():
    with pytest.raises(AmbiblendError, match="not a proper rotation"):
        Camera("c", K=np.eye(3), dist=[0, 0, 0, 0], R=np.diag([1.0, 1.0, -1.0]), t=[0, 0, 1], image_size=(1, 1))


POSE2SIM = Path(__file__).resolve().parents[1].parent / "shared/data/videos/pose2sim-single-person"


@pytest.mark.skipif(not (POSE2SIM / "Calib.qca.txt").is_file(), reason="Pose2Sim demo data not present")
def test_qca_convention_proven_by_reprojection_on_real_clips():
    """The add-on's detector on the first frames of the four real views, triangulated with the
    QCA reader's convention: every view reprojects within 25 px (≈1.3 % of the 1920-px frame;
    MediaPipe + this calibration give 9–17 px), while reading the matrix the other way round
    (camera→world) is off by hundreds of pixels and without the OpenGL→OpenCV flip every
    point lands behind the cameras."""
    from ambiblend.core.detect import detect_video
    from ambiblend.core.multiview.calibration import GL_TO_CV
    from ambiblend.core.multiview.triangulate import triangulate

    cams = read_qca(POSE2SIM / "Calib.qca.txt")
    kps = [detect_video(POSE2SIM / f"{c.name}.mp4", max_frames=8) for c in cams]
    pix, conf = np.stack([k.xy for k in kps]), np.stack([k.conf for k in kps])
    tri = triangulate(cams, pix, conf)
    assert tri.valid.mean() > 0.9
    for name, err in tri.view_errors().items():
        assert err["median_px"] < 25.0, (name, err)
    transposed = []
    for c in cams:
        r = GL_TO_CV @ (GL_TO_CV @ c.R).T  # M read column by column
        transposed.append(Camera(c.name, c.K, c.dist, r, -r @ c.center, c.image_size))
    wrong = triangulate(transposed, pix, conf, inlier_px=1e9, fix_swaps=False)
    assert np.nanmedian(wrong.error_px) > 150.0
    unflipped = [Camera(c.name, c.K, c.dist, GL_TO_CV @ c.R, -(GL_TO_CV @ c.R) @ c.center, c.image_size)
                 for c in cams]
    assert not triangulate(unflipped, pix, conf, inlier_px=1e9).valid.any()
