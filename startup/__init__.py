"""What runs when Hearth starts: install the declared periodic tasks, seed the demo for `make run`.

Commands only (`setup_periodic_tasks`, `demo_seed`); they call the apps' services and own no
models. Nothing imports this app.
"""
