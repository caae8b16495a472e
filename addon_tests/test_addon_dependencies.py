"""The add-on registers in a Blender whose Python lacks torch/MediaPipe/OpenCV/scipy (a fresh
Blender install), and Lift Video then refuses with the install instruction, scene unchanged.
Runs in a subprocess where those imports are blocked, with the real bpy."""
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import builtins, os, sys, tempfile
    os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp()
    blocked = {"torch", "mediapipe", "cv2", "scipy", "matplotlib"}
    real_import = builtins.__import__
    def guarded(name, *args, **kwargs):
        if name.split(".")[0] in blocked:
            raise ImportError("blocked for the test: " + name)
        return real_import(name, *args, **kwargs)
    builtins.__import__ = guarded
    import importlib.util
    real_find = importlib.util.find_spec
    importlib.util.find_spec = lambda n, *a: None if n.split(".")[0] in blocked else real_find(n, *a)
    import bpy
    bpy.ops.wm.read_factory_settings(use_empty=True)
    import ambiblend
    ambiblend.register()
    from ambiblend.blender.dependencies import missing_modules, pip_commands
    print("MISSING", sorted(missing_modules(["torch", "mediapipe", "cv2", "numpy"])))
    cmds = pip_commands(__import__("pathlib").Path("/x"), ["torch", "mediapipe"])
    print("NODEPS", [c for c in cmds if "--no-deps" in c][0][-1])
    before = (len(bpy.data.objects), len(bpy.data.actions))
    bpy.context.scene.ambiblend.clip_path = "whatever.mp4"
    try:
        bpy.ops.ambiblend.lift_video()
    except RuntimeError as exc:
        print("ERROR", str(exc).strip().splitlines()[-1])
    print("UNCHANGED", before == (len(bpy.data.objects), len(bpy.data.actions)))
    ambiblend.unregister()
    print("DONE")
""")


def test_registers_without_heavy_packages_and_lift_explains_what_to_install():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True,
                         timeout=300, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    text = out.stdout
    assert out.returncode == 0, out.stderr[-2000:]
    assert "MISSING ['cv2', 'mediapipe', 'torch']" in text
    assert "NODEPS mediapipe==0.10.21" in text
    assert "Install Dependencies" in text and "AmbiBlend needs torch, mediapipe, cv2" in text
    assert "UNCHANGED True" in text and "DONE" in text
