"""Models of the libraries Hearth uses, shown to support staff read-only: the periodic tasks
(django-celery-beat; `setup_periodic_tasks` installs them from config/periodic_tasks.py) and
people's email addresses (allauth: verified or not — "why can't Jane sign in?").

Their own ModelAdmins are kept, with the console's access added. Their actions change data
(enable or run a task, mark an address verified), so only those who may change the rows —
superusers — are offered them.
"""

from allauth.account import admin as account_admin
from allauth.account.models import EmailAddress
from django.contrib import admin
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from ..access import SupportAccess
from .base import CappedPaginator


class LibraryAccess(SupportAccess):
    paginator = CappedPaginator
    show_full_result_count = False

    def get_actions(self, request):
        if not self.has_change_permission(request):
            return {}
        return super().get_actions(request)


for model, model_admin in (
    (PeriodicTask, beat_admin.PeriodicTaskAdmin),
    (IntervalSchedule, beat_admin.IntervalScheduleAdmin),
    (CrontabSchedule, beat_admin.CrontabScheduleAdmin),
    (SolarSchedule, beat_admin.SolarScheduleAdmin),
    (ClockedSchedule, beat_admin.ClockedScheduleAdmin),
    (EmailAddress, account_admin.EmailAddressAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(model_admin.__name__, (LibraryAccess, model_admin), {}))
