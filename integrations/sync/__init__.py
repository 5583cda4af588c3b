"""The directory sync: fetch (integrations.google) → plan (planning.py, pure) → apply (apply.py,
set-based usermanagement services) → record (runs.py: SyncRun, SyncChange, the lock)."""
