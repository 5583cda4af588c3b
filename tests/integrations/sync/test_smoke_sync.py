from integrations.models import SyncRun


def test_first_sync(connected):
    run = connected.sync()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    print(run.counts, run.api_calls)
    assert run.counts["create"] == 11
    assert connected.person("admin@acme.example").google_id
