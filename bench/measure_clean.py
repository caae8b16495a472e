"""Measure ``clean_motion`` on real mocap with added jitter: bone-length CV, jitter, error vs
truth, foot sliding on the true contacts, contact agreement. Bandai-Namco dataset-1, every
content type in the "normal" style (20 clips), Gaussian noise of sigma metres on every joint.

    .venv/bin/python bench/measure_clean.py <unpacked Bandai-Namco-Research-Motiondataset-1> [sigma_m]
"""
import sys, glob
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np
from ambiblend.core.mocap.bvh import load_h36m
from ambiblend.core.clean import CleanOptions, clean_motion
from ambiblend.core.skeleton import FEET, bone_lengths

root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/Bandai-Namco-Research-Motiondataset-1")
sigma = float(sys.argv[2]) if len(sys.argv) > 2 else 0.015
Y_UP_TO_BLENDER = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], float)
files = sorted(glob.glob(str(root / "data" / "dataset-1_*_normal_*.bvh")))
if not files:
    sys.exit(f"no dataset-1 *_normal_* BVH files under {root}/data")
rng = np.random.default_rng(0)
rows = []
for f in files:
    j, fps = load_h36m(f)
    truth = j @ Y_UP_TO_BLENDER.T
    ank = truth[:, list(FEET)]
    floor = np.percentile(ank[..., 2], 5)
    speed = np.linalg.norm(np.gradient(ank[..., :2], axis=0), axis=-1) * fps
    true_contact = (ank[..., 2] < floor + 0.05) & (speed < 0.25)
    noisy = truth + rng.normal(scale=sigma, size=truth.shape)
    out = clean_motion(noisy, None, fps, CleanOptions(smoothness=0.5))
    raw_smooth = clean_motion(noisy, None, fps, CleanOptions(smoothness=0.5, ground=False, lock_feet=False))
    def slide(x):  # mean horizontal ankle speed (m/s) over true-contact frames
        v = np.linalg.norm(np.gradient(x[:, list(FEET), :2], axis=0), axis=-1) * fps
        return v[true_contact].mean() if true_contact.any() else np.nan
    def cv(x):
        l = bone_lengths(x); return (l.std(0) / l.mean(0)).mean()
    def jitter(x):  # mean |acceleration| m/s²
        return np.linalg.norm(np.diff(x, 2, axis=0), axis=-1).mean() * fps ** 2
    def err(x):  # mean per-joint error after removing the mean offset (grounding shifts z)
        d = x - truth
        return np.linalg.norm(d - d.reshape(-1, 3).mean(0), axis=-1).mean()
    rows.append(dict(clip=f.split("dataset-1_")[1][:-4], frames=len(truth),
                     contact_frac=true_contact.mean(), agree=(out.contacts == true_contact).mean(),
                     cv_noisy=cv(noisy), cv_clean=cv(out.joints),
                     jit_true=jitter(truth), jit_noisy=jitter(noisy), jit_clean=jitter(out.joints),
                     err_noisy=err(noisy), err_smooth=err(raw_smooth.joints), err_clean=err(out.joints),
                     slide_true=slide(truth), slide_noisy=slide(noisy), slide_smooth=slide(raw_smooth.joints),
                     slide_clean=slide(out.joints)))
keys = [k for k in rows[0] if k != "clip"]
print(f"sigma = {sigma} m, {len(rows)} clips ({sum(r['frames'] for r in rows)} frames)")
print("clip".ljust(22) + " ".join(k[:11].rjust(11) for k in keys))
for r in rows:
    print(r["clip"][:22].ljust(22) + " ".join(f"{r[k]:11.4f}" for k in keys))
print("MEAN".ljust(22) + " ".join(f"{np.nanmean([r[k] for r in rows]):11.4f}" for k in keys))
