"""Saved searches: a budget holder or representative keeps a search, is emailed (once a day at
most) when a new listing matches it, and a search still without a match counts as unmet demand
in the market gap report and on the homes of providers who could meet it.

The rooms: `models` (the saved search and the listings already told about), `services` (saving,
renaming, alerts on and off, deleting), `alerts` (the daily job), `demand` (the counts the
report and the provider's home read), `forms` and `views`.
"""
