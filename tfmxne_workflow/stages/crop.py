"""The two time windows: the solve window (wider, against STFT edge effects) and the reported one."""
from __future__ import annotations


def crop_results(stc, evoked, residual, tmin, tmax):
    """Copies of the estimate, evoked and residual cropped to ``[tmin, tmax]`` s.

    The solve window is wider so that the STFT's edge effects fall outside this one.

    Returns
    -------
    stc, evoked, residual
        Cropped copies; an empty estimate (no active source) is cropped as well.
    """
    for name, obj in (("evoked", evoked), ("residual", residual)):
        if tmin < obj.times[0] - 1e-9 or tmax > obj.times[-1] + 1e-9:
            raise ValueError(
                f"crop window [{tmin}, {tmax}] s lies outside the {name}'s "
                f"[{obj.times[0]:.3f}, {obj.times[-1]:.3f}] s; adjust crop.tmin/crop.tmax"
            )
    return (
        stc.copy().crop(tmin, tmax),
        evoked.copy().crop(tmin, tmax),
        residual.copy().crop(tmin, tmax),
    )


def solve_window(evoked, window):
    """Copy of ``evoked`` cropped to the solve window ``[tmin, tmax]`` (s).

    The window is wider than the reported one, to keep the STFT's edge effects out of the
    result.
    """
    tmin, tmax = window
    return evoked.copy().crop(tmin=tmin, tmax=tmax)
