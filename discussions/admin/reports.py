"""Reports of violations (RPT-02/03): the moderation list and a mediator's decision."""

from django import forms
from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, decision_view, market_filter

from .. import services
from ..models import Report


class ReportDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (services.ReportDecision.DISMISS, _("Dismiss the report")),
            (services.ReportDecision.HIDE, _("Hide the message")),
        ],
        widget=forms.RadioSelect,
    )
    sanction = forms.ChoiceField(
        label=_("Author's account"),
        required=False,
        choices=[
            (services.Sanction.NONE, _("No sanction")),
            (services.Sanction.WARN, _("Warn the author")),
            (services.Sanction.BLOCK, _("Block the author's account")),
        ],
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Report)
class ReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """RPT-02/03: the moderation queue, with the reported message in context."""

    list_display = ["created_at", "category", "status", "reporter", "reported_text", "discussion_link"]
    list_filter = [market_filter("message__discussion__market"), "status", "category"]
    list_select_related = ["reporter", "message__discussion"]
    change_form_template = "admin/discussions/report/change_form.html"

    @admin.display(description=_("reported message"))
    def reported_text(self, obj):
        return obj.message.text[:120]

    @admin.display(description=_("Discussion"))
    def discussion_link(self, obj):
        discussion = obj.message.discussion
        return format_html(
            '<a href="{}#m{}">{}</a>',
            reverse("admin:discussions_discussion_change", args=[discussion.pk]),
            obj.message_id,
            discussion.number,
        )

    def get_urls(self):
        return [
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="discussions_report_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk):
        report = get_object_or_404(Report.objects.select_related("message__author", "message__discussion"), pk=pk)
        return decision_view(
            self,
            request,
            report,
            ReportDecisionForm,
            lambda r, user, data: services.decide_report(
                r,
                mediator=user,
                decision=data["decision"],
                sanction=data["sanction"],
                reason=data["reason"],
                once=data["once"],
            ),
            _("Decide the report"),
            _("Report decided."),
        )
