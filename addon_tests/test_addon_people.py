"""Several people in real Blender: Find People lists them, Lift Video animates the chosen one or
everyone (one armature each, where they stand, one ground); a number that names nobody is
refused with the list and the scene is left as it was. Real MediaPipe on a clip of two men built
from the bundled sample (``tests/multi_person.py``)."""
from __future__ import annotations

import sys

import bpy
import numpy as np
import pytest
from ambi_helpers import REPO, scene_state
from test_addon_panels import _draw_all_panels

sys.path.insert(0, str(REPO / "tests"))
import multi_person as mp  # noqa: E402

from ambiblend.core.skeleton import FEET, ROOT  # noqa: E402


@pytest.fixture(scope="module")
def two_men(tmp_path_factory):
    clip = mp.view(0, 20, 0.5)
    return mp.side_by_side(tmp_path_factory.mktemp("people") / "two.mp4", [clip, mp.mirrored(clip)])


def _joints(obj) -> np.ndarray:
    return np.asarray(obj.animation_data.action["ambiblend_joints"], dtype=np.float64).reshape(-1, 17, 3)


def test_find_people_then_lift_one_or_everyone(addon, two_men):
    settings = bpy.context.scene.ambiblend
    settings.clip_path = str(two_men)
    assert bpy.ops.ambiblend.find_people() == {"FINISHED"}
    assert [(p.number, p.frames_seen, p.first_frame, p.last_frame) for p in settings.people] == \
        [(1, 20, 1, 20), (2, 20, 1, 20)]
    settings.person_mode, settings.person_index, settings.people_frame = "INDEX", 2, 5
    labels = [text for kind, text in _draw_all_panels(bpy.context) if kind == "label"]
    rows = [t for t in labels if t.startswith(("1: 20 frames", "2: 20 frames"))]
    assert len(rows) == 2 and all("· box (" in t for t in rows), labels    # boxes on frame 5
    x0_second = float(rows[1].split("box (")[1].split(",")[0])
    assert x0_second > 270                                         # person 2 is in the right half

    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}
    second = bpy.context.active_object
    assert second.name == "two" and len(second.data.bones) == 17
    single = _joints(second)

    bpy.ops.object.select_all(action="DESELECT")
    bpy.context.view_layer.objects.active = None
    settings.person_mode = "ALL"
    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}
    rigs = [bpy.data.objects[f"two_person{n}"] for n in (1, 2)]
    left, right = (_joints(o) for o in rigs)
    assert (left[:, ROOT, 0] < right[:, ROOT, 0] - 0.5).all()      # where they stand, apart in X
    for j in (left, right):          # one ground: each plants a sole on z = 0 (ankle 0.066 m above)
        assert abs(j[:, list(FEET), 2].min() - 0.066) < 0.02
    # Person 2 alone and person 2 among everyone: the same motion, only placed differently.
    np.testing.assert_allclose(right - right[:1, ROOT:ROOT + 1] * [1, 1, 0],
                               single - single[:1, ROOT:ROOT + 1] * [1, 1, 0], atol=1e-4)


def test_a_number_that_names_nobody_is_refused_with_the_list(addon, two_men):
    settings = bpy.context.scene.ambiblend
    settings.clip_path = str(two_men)
    settings.person_mode, settings.person_index = "INDEX", 5
    before = scene_state()
    with pytest.raises(RuntimeError) as info:
        bpy.ops.ambiblend.lift_video()
    assert "two.mp4: there is no person 5; 2 people were found: person 1: seen in 20 of 20 frames" in str(info.value)
    assert scene_state() == before
