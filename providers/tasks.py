from celery import shared_task

from providers import services


@shared_task(name="providers.expire_lapsed_accreditations")
def expire_lapsed_accreditations() -> int:
    return services.accreditations_expire_lapsed()


@shared_task(name="providers.send_expiry_reminders")
def send_expiry_reminders() -> int:
    return services.expiry_reminders_send()
