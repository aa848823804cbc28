"""The Mediators group and exactly the permissions it needs (MED-10).

Kept in sync after every `migrate` (permissions only exist once their app migrated),
so the group is the same on every machine without any step by hand.
"""

MEDIATORS_GROUP = "Mediators"

# app_label.codename — mediators read these; they change things only through admin
# actions that call services, each guarded by its own check.
MEDIATOR_PERMISSIONS = [
    "orders.view_market",
    "orders.view_linkedaccountgroup",
    "orders.view_selleraccount",
    "orders.view_offer",
    "orders.view_order",
    "orders.view_shipment",
    "orders.view_simulatedparcel",
    "orders.view_auditrecord",
    "orders.view_commissionrefund",
    "orders.view_commissionrefundline",
    "orders.decide_appeal",
    "orders.view_ratingremovalrequest",
    "discussions.view_discussion",
    "discussions.mediate_discussion",
    "discussions.view_message",
    "discussions.view_proposal",
    "discussions.view_statuschange",
    "discussions.view_report",
    "discussions.view_notification",
    "discussions.retry_notification",
    "discussions.view_compensation",
    "discussions.view_sellerblock",
    "discussions.view_flaggedselleraccount",
    "buyers.view_inactivebuyer",
    "buyers.view_evidenceimage",
    "buyers.remove_abusive_entry",
]


def sync_mediators_group(sender=None, using="default", **kwargs):
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.using(using).get_or_create(name=MEDIATORS_GROUP)
    wanted = []
    for dotted in MEDIATOR_PERMISSIONS:
        app_label, codename = dotted.split(".")
        perm = Permission.objects.using(using).filter(content_type__app_label=app_label, codename=codename).first()
        if perm is not None:
            wanted.append(perm)
    group.permissions.set(wanted)
