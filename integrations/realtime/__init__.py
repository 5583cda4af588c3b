"""Real-time sync: Google's changes in Hearth within seconds (docs/sync.md, "Real-time").

- `channels`: push channels (users.watch per user event, activities.watch), opened at connect,
  renewed before they expire, recreated when push is degraded, stopped at disconnect.
- `webhook`: the endpoint Google posts to; it checks the channel, records what changed and
  queues a refresh — no sync work in the request.
- `feed`: every minute (backing off when idle) the admin activities since a cursor; the safety
  net for what push missed, and the only source of group changes.
- `refresh`: the queued people and groups applied through the sync engine (`sync_targeted`)
  as one incremental run under the organization's lock; nothing queued is ever dropped.
- `health`: push health, lag and the schedule's nightly reconcile.
"""
