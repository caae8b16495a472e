"""PNG plots of a run (matplotlib, Agg backend: no display needed)."""
from __future__ import annotations

import csv
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend choice)
import numpy as np  # noqa: E402


def plot_losses(log_csv, out_png) -> None:
    """One curve per numeric column of the epoch log (log scale where all values are > 0)."""
    with open(log_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    epochs = [int(r["epoch"]) for r in rows]
    cols = [c for c in rows[0] if c not in ("epoch", "seconds", "lr") and rows[0][c] != ""]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for c in cols:
        vals = np.array([float(r[c]) if r.get(c) not in (None, "") else np.nan for r in rows])
        ax = axes[1] if c.startswith("val_") else axes[0]
        ax.plot(epochs, vals, marker="o", ms=3, label=c)
    axes[0].set_title("training losses (epoch mean)")
    axes[1].set_title("validation")
    for ax in axes:
        ax.set_xlabel("epoch")
        if ax.lines:
            ax.legend(fontsize=8)
            if all(np.nanmin(line.get_ydata()) > 0 for line in ax.lines):
                ax.set_yscale("log")
    with warnings.catch_warnings():  # log-axis labels go through mathtext, which warns on new pyparsing
        warnings.simplefilter("ignore", DeprecationWarning)
        fig.tight_layout()
        fig.savefig(out_png, dpi=100)
    plt.close(fig)


def plot_scale_trace(trace: dict, out_png, max_sequences: int = 4, unit: float = 1.0) -> None:
    """Paper Fig. 5: predicted scale S and reference S_ref (eq. 3) over frames, a few sequences.

    trace: {sequence name: (S (T,), S_ref (T,))}; the longest sequences are shown. ``unit``
    converts S from the model's units to S_ref's (metres): S is drawn as unit·S.
    """
    names = sorted(trace, key=lambda n: -len(trace[n][0]))[:max_sequences]
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 2.4 * max(len(names), 1)), squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        s, ref = trace[name]
        ax.plot(ref, label="reference S_ref (eq. 3)", color="k", lw=1.2)
        ax.plot(unit * s, label=f"predicted S × {unit:.3f} (scale module, in metres)", color="tab:red", lw=1.0)
        ax.set_title(name, fontsize=9)
        ax.set_ylabel("scale")
    axes[0, 0].legend(fontsize=8)
    axes[-1, 0].set_xlabel("frame")
    fig.tight_layout()
    Path(out_png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
