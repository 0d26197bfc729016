"""Seeing results: top-trial tables of any nas study (search, scale, rank-check), PNG plots and
``report.md`` documents, and the family plot. Reads studies through :mod:`nas.study`,
:mod:`nas.search` and :mod:`nas.scaling`; nothing here trains."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_report": ["Report", "write_report"],
    "_family_plot": ["plot_family"],
    "_show": ["study_kind", "top_trials"],
})
