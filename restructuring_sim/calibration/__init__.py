"""Calibration of structural parameters to the paper's moments (ABC-SMC with pyabc).

A spec (:mod:`.spec`) names free parameters (dotted scenario keys) with uniform priors, the
moments to fit and a budget; :func:`calibrate` runs or resumes the calibration and writes the
record into ``experiments/calibration/<name>/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from restructuring_sim._lazy import lazy_exports

_EXPORTS = {
    "calibrate": "restructuring_sim.calibration.run",
    "CalibrationSpec": "restructuring_sim.calibration.spec",
    "load_spec": "restructuring_sim.calibration.spec",
}

__all__ = ["CalibrationSpec", "calibrate", "load_spec"]

if TYPE_CHECKING:
    from restructuring_sim.calibration.run import calibrate
    from restructuring_sim.calibration.spec import CalibrationSpec, load_spec

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
