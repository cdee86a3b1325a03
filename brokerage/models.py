from django.db import models

from brokerage.constants import ClientGroup
from marketplace.models import Organisation, User


class Person(models.Model):
    """Someone eligible for care who holds (or will hold) a personal budget.

    They choose a broker organisation to help them plan — an approved organisation or the
    council's own brokerage team — and consent to share their record with it. Only that broker's
    staff, council officers, the person and their representative can see the record.
    """

    reference = models.CharField(max_length=20, unique=True, help_text="The council's case reference.")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    postcode = models.CharField(max_length=8)
    client_group = models.CharField(max_length=30, choices=ClientGroup.choices)
    broker_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="people_brokered",
        help_text="The brokerage the person chose; blank until they choose.",
    )
    consent_to_share = models.BooleanField(default=False, help_text="The person agreed to share their record with the broker.")
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="person")
    representative = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="represented_people",
        help_text="A family member or other representative who acts for the person.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "people"

    def __str__(self):
        return f"{self.first_name} {self.last_name}"
