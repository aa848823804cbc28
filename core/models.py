"""Core's one model: the record of a form that was submitted (SAFE-01, core.once).

Every other module of core holds shared helpers without models; this one has to be a
model because "once" needs a unique row written in the transaction of the change."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FormSubmission(models.Model):
    """SAFE-01: a form that did what it asks, once. Written by `core.once.consume` in the
    transaction of the change, so it exists exactly when the change does; a second
    submission of the same form (same user, token and action) finds it and is refused.
    Rows are forgotten after `core.once.KEEP_FOR` (tokens expire before that)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    # The one-time token the page was issued with, and the path the form posted to.
    token = models.CharField(_("form token"), max_length=64)
    action = models.CharField(_("form action"), max_length=255)
    submitted_at = models.DateTimeField(_("submitted at"))
    # What the submission made (an order, a Discussion, an application), for the answer
    # to a repeated submission.
    result_id = models.BigIntegerField(_("result"), null=True, blank=True)

    class Meta:
        verbose_name = _("submitted form")
        verbose_name_plural = _("submitted forms")
        constraints = [
            models.UniqueConstraint(fields=["token", "user", "action"], name="form_submission_once"),
        ]
        indexes = [models.Index(fields=["submitted_at"], name="form_submission_age_idx")]

    def __str__(self):
        return f"{self.action} ({self.submitted_at:%Y-%m-%d %H:%M})"
