"""The seller API, served under settings.API_BASE_PATH (default /api): paths as in the
marketplace's public REST API, so a client generated from its description works with
the server URL set to <host>/api."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import issue_attachments, issue_messages, issues, not_found, refund_claims

app_name = "api"

REDOC_POLICY = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})

urlpatterns = [
    path("sale/issues", issues.IssueListView.as_view(), name="issues"),
    path("sale/issues/attachments", issue_attachments.AttachmentDeclarationView.as_view(), name="attachment_declare"),
    path("sale/issues/attachments/<uuid:attachment_id>", issue_attachments.AttachmentView.as_view(), name="attachment"),
    path("sale/issues/<uuid:issue_id>", issues.IssueDetailView.as_view(), name="issue"),
    path("sale/issues/<uuid:issue_id>/chat", issues.IssueChatView.as_view(), name="issue_chat"),
    path("sale/issues/<uuid:issue_id>/message", issue_messages.IssueMessageView.as_view(), name="issue_message"),
    path("sale/issues/<uuid:issue_id>/status", issue_messages.IssueStatusView.as_view(), name="issue_status"),
    path("order/refund-claims", refund_claims.RefundClaimListView.as_view(), name="refund_claims"),
    path("order/refund-claims/<str:claim_id>", refund_claims.RefundClaimDetailView.as_view(), name="refund_claim"),
    # Our own description, generated from the code, and its browsable reference.
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Redoc styles the page with style elements it inserts and searches in a worker: inline
    # styles on this page only (SAFE-10); scripts stay our own files everywhere.
    path("redoc", REDOC_POLICY(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    # API-06: anything else under the base (a mistyped path, /sale/disputes*, an id that is
    # not a UUID) is a 404 in the API's error shape, never Django's HTML page. Last.
    re_path(r"^.*$", not_found.UnknownPathView.as_view(), name="unknown_path"),
]
