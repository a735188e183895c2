"""Calibration against the empirical targets: screening, history matching, ABC rejection, and
the posterior's predictions (:mod:`.run`), from calibration files (:mod:`.spec`)."""
