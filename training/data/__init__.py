"""Data for training and evaluation: 2D sequences (3D kept only for measuring)."""
