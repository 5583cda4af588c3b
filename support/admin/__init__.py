"""The support console: Django's admin under /support/, for the vendor's support staff.

Every registration of the console is here rather than in each app's admin.py: the console's
pages and actions combine the apps (an organization's page shows its integration, runs, seats
and emails; "re-sync these people" on the people list runs the sync; deactivating a person
reconciles seats), and only the top layer may import them all. Each app stays free of the
console; the console is one room — its access (support.access), its actions
(support.actions), its pages (these modules).

- organizations: organizations (the front door), integrations, domains, invitations, and the
  actions on an organization's sync;
- people: people across organizations (their story on their page), groups, memberships;
- syncs: runs, changes, held plans, conflicts;
- licenses, emails, audit: seats, the email log, the audit log;
- libraries: the periodic tasks and email addresses, as their libraries register them.

Nobody deletes in bulk here (Django's "delete selected" is off): rows go through services, and
history through its retention (support.retention).
"""

from django.contrib import admin

from . import audit, emails, libraries, licenses, organizations, people, syncs  # noqa: F401

admin.site.disable_action("delete_selected")
