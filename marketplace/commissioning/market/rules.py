"""The market gap report's rules, named so the page can say them."""

from __future__ import annotations

from datetime import time

FEW_RESULTS_MAX = 3  # a "few-result" search found 1 to 3 listings
DEFAULT_WEEKS = 12  # the period when none is chosen: the last 12 weeks, today included
MAX_PERIOD_DAYS = 731  # at most two years
UNSPENT_WEEKS = 8  # money above this many weeks of allocation counts as unspent
SMALL_NUMBER = 3  # money of fewer budgets than this is not shown (it could point to one person)
GAP_HOURS_UNIT = 10  # the gap score counts supply in units of 10 weekly hours
TOP_GAPS = 20
DAYTIME_STARTS = time(8)
EVENING_STARTS = time(18)
