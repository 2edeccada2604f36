"""The background worker: the email and search outboxes sent after each commit, and every timed
job on a London-time schedule, on the Huey task queue (SQLite storage on one machine, Redis when
several machines serve)."""
