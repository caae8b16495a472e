"""The thin Blender layer: properties, preferences, operators, panel, keyframe writer, export."""
