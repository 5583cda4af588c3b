"""`python -m bench.sandbox_server sandbox serve ...`: the sandbox server with a fresh clock.

The sandbox clock (googlesandbox/clock.py) is real time plus an offset stored in the database;
each process caches the offset for a second. The cost scenario (bench/scenarios/cost.py) moves
the clock ahead many times a second of real time, and the server must answer every call on the
clock the scenario set just before it — a `reports_lag_seconds` window read on a stale offset
would hide events that are due. This launcher sets the cache to zero (one small query per clock
read) and runs the unchanged `manage.py sandbox serve`; nothing else of the sandbox differs.
"""

import sys

if __name__ == "__main__":
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    from googlesandbox import clock

    clock.CACHE_SECONDS = 0.0
    execute_from_command_line(["manage.py", *sys.argv[1:]])
