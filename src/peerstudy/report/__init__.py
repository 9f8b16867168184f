"""What a reader sees: tables, figures, key figures, the published comparison, manuscript
exports and the HTML pages, and the ``start`` helper the notebooks call.

May import every package below it (:mod:`peerstudy.io`, :mod:`peerstudy.cleaning`,
:mod:`peerstudy.qualitative`, :mod:`peerstudy.stats`, :mod:`peerstudy.review.eligibility`); never
:mod:`peerstudy.pipeline`.
"""
