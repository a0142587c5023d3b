"""Calibration of structural parameters to the paper's moments (ABC-SMC with pyabc).

A spec (:mod:`.spec`) names free parameters (dotted scenario keys) with uniform priors, the
moments to fit and a budget; :func:`calibrate` runs or resumes the calibration and writes the
record into ``experiments/calibration/<name>/``.
"""

from restructuring_sim.calibration.run import calibrate
from restructuring_sim.calibration.spec import CalibrationSpec, load_spec

__all__ = ["CalibrationSpec", "calibrate", "load_spec"]
