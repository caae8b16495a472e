"""The panels' draw code against the real registered properties and operators.

Headless Blender has no UI to draw into, so each panel's ``draw`` runs with a layout recorder:
every ``prop`` must name an RNA property that exists on its data, every ``operator`` a
registered operator, every ``prop_search`` a collection that exists. A typo in a panel would
otherwise only show up as a broken sidebar in a user's Blender.
"""
from __future__ import annotations

import bpy

from ambi_helpers import SAMPLE_KEYPOINTS


class RecordingLayout:
    """Stands in for ``UILayout``: checks and records what a panel asks for."""

    def __init__(self, log):
        self.log = log
        self.active = self.enabled = True
        self.alert = False

    def _child(self, *args, **kwargs):
        return RecordingLayout(self.log)

    row = column = box = split = column_flow = grid_flow = _child

    def prop(self, data, name, **kwargs):
        assert name in data.bl_rna.properties, f"{type(data).__name__} has no property '{name}'"
        self.log.append(("prop", name))

    def prop_search(self, data, name, search_data, search_name, **kwargs):
        assert name in data.bl_rna.properties, name
        assert search_name in search_data.bl_rna.properties, search_name
        self.log.append(("prop_search", name))

    def operator(self, idname, **kwargs):
        group, name = idname.split(".")
        assert hasattr(getattr(bpy.ops, group), name), f"operator {idname} is not registered"
        assert getattr(getattr(bpy.ops, group), name).get_rna_type() is not None
        self.log.append(("operator", idname))
        return type("OpProps", (), {})()

    def label(self, **kwargs):
        self.log.append(("label", kwargs.get("text", "")))

    def progress(self, factor=0.0, type="BAR", text=""):
        assert 0.0 <= factor <= 1.0 and type in ("BAR", "RING"), (factor, type)
        self.log.append(("progress", text))

    def separator(self, **kwargs):
        pass


def _draw_all_panels(context) -> list:
    log = []
    panels = [c for c in bpy.types.Panel.__subclasses__() if c.__name__.startswith("AMBI_PT_")]
    assert {p.__name__ for p in panels} >= {"AMBI_PT_main", "AMBI_PT_retarget", "AMBI_PT_export"}
    for cls in panels:
        holder = type("PanelSelf", (), {"layout": RecordingLayout(log)})()
        if hasattr(cls, "poll") and not cls.poll(context):
            continue
        cls.draw(holder, context)
    return log


def test_panels_draw_existing_properties_and_operators(addon):
    log = _draw_all_panels(bpy.context)
    drawn = {name for kind, name in log}
    for needed in ("clip_path", "subject_height", "repair_swaps", "ambiblend.lift_video", "ambiblend.export_fbx",
                   "ambiblend.retarget", "ambiblend.retarget_automap"):
        assert needed in drawn, needed


def test_swap_repair_switch_reaches_the_lift(addon):
    """The panel's Repair Left/Right Swaps (on by default) is what the lift is given."""
    from ambiblend.blender.operators import pipeline_options
    settings = bpy.context.scene.ambiblend
    assert settings.repair_swaps is True and pipeline_options(settings, None).repair_swaps is True
    settings.repair_swaps = False
    assert pipeline_options(settings, None).repair_swaps is False


def test_panels_draw_with_a_lifted_armature_selected(addon):
    bpy.context.scene.ambiblend.clip_path = str(SAMPLE_KEYPOINTS)
    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}
    log = _draw_all_panels(bpy.context)
    assert ("operator", "ambiblend.lift_video") in log
