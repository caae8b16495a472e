"""Lift stage: the pose lifter network Φ_G, the checkpoint format and batched inference."""
