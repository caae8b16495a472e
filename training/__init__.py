"""Training package: the paper's unsupervised recipe for Φ_S and Φ_G (no 3D labels).

Imports the networks from ``ambiblend.core`` — the add-on and training share one definition.
Must run on numpy 1.26 + torch 2.13 CPU and on numpy 2 + torch 2.11 CUDA, and never import
``bpy`` or ``mediapipe`` on the training path.
"""
