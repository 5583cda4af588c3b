"""The benchmark's scenarios, in the issue's order. Each module exposes `KEY`, `TITLE`,
`run(ctx) -> dict` (every figure, ratios named ratio_*) and `table(figures) -> rows` where a
row is (figure, value, target or "")."""

from . import full_sync, google_like, many_orgs, people_list, resync, sandbox_page

ALL = [full_sync, resync, google_like, many_orgs, people_list, sandbox_page]
BY_KEY = {module.KEY: module for module in ALL}
