"""Statistics with no knowledge of studies: agreement coefficients and their intervals.

Modules, one job each:

- :mod:`~peerstudy.stats.ratings`: reliability data (units x coders) checked and encoded;
- :mod:`~peerstudy.stats.bootstrap`: :class:`~peerstudy.stats.bootstrap.Estimate`, seeded
  percentile bootstrap intervals over units;
- :mod:`~peerstudy.stats.percent`: percent agreement, Miles & Huberman, Gwet's AC1,
  Brennan-Prediger;
- :mod:`~peerstudy.stats.kappa`: Cohen's and Fleiss' kappa;
- :mod:`~peerstudy.stats.alpha`: Krippendorff's alpha;
- :mod:`~peerstudy.stats.tidy`: tidy codings (segment, code, coder) checked and encoded;
- :mod:`~peerstudy.stats.codetable`: agreement per code and overall from tidy codings.

The reconciliation workflow built on tidy codings is in
:mod:`peerstudy.qualitative.reconciliation`.

May import :mod:`peerstudy.errors` only (and numerical libraries).
"""
