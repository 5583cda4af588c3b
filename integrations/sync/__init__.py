"""The directory sync: fetch (integrations.google) → plan (planning.py, pure) → apply (apply.py,
set-based usermanagement services) → judge the removals (removals.py) → record (runs.py: SyncRun,
SyncChange, the lock). review.py approves or rejects the plans a run held for review."""
