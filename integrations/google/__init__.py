"""The Google client: the only package in Hearth that imports googleapiclient / google.auth.

scopes.py (the OAuth scopes, a plain constant), credentials.py (service-account credentials with
the sync account as subject), client.py (paging generators, retries), errors.py (every Google
failure translated into integrations.errors in one place).
"""
