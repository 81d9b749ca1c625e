//! Reports: statistics, charts and the markdown report (in progress).
