"""Whole-table facts of a changelist kept in the cache (issue 13): how many rows the
unfiltered list has, and the dates its date hierarchy offers.

Django's changelist counts the whole table (`SELECT COUNT(*)`, a scan of every row: a
millisecond at 10,000 Discussions, seconds at millions) and reads the first and last
date and every year of the date hierarchy on every view. Neither changes unless a row
is added or deleted (the hierarchy's field is the row's creation time, never changed),
so a ModelAdmin whose model is watched (`watch_table`, at import) keeps them in the cache
(`core.versioned`) under a version of the table that creating or deleting a row
replaces. Rows added or deleted without signals (bulk inserts of demo and bench data,
raw SQL) are seen after TIMEOUT at the latest.
"""

from django.db.models.signals import post_delete, post_save

from ..versioned import cached_at_version, replace_versions

TIMEOUT = 300


def table_version_key(model):
    return f"admin:{model._meta.label_lower}:table:version"


def watch_table(model):
    """Replace `model`'s table version whenever one of its rows is created or deleted;
    the version's key (a ModelAdmin's `changelist_table_version`)."""
    key = table_version_key(model)

    def saved(sender, instance, created, **kwargs):
        if created:
            replace_versions([key])

    def deleted(sender, instance, **kwargs):
        replace_versions([key])

    post_save.connect(saved, sender=model, weak=False, dispatch_uid=f"{key}:saved")
    post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=f"{key}:deleted")
    return key


def table_fact(model_admin, name, compute):
    """compute(), a fact of the whole unfiltered table, kept under the table's version
    when the ModelAdmin names one (`changelist_table_version`); else computed."""
    key = getattr(model_admin, "changelist_table_version", None)
    if key is None:
        return compute()
    return cached_at_version(key, f"{key}:{name}", lambda: (compute(), None), TIMEOUT)
