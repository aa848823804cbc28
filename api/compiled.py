"""The seller API's hot queries, compiled to SQL once (API-01, issue 13).

Integrations poll the same lists over and over. Building a queryset with subqueries and
compiling it to SQL costs some 10,000 Python function calls per request — more than
reading its hundred rows. `rows(key, build)` compiles the queryset that `build()`
returns the first time `key` is seen on a database connection and keeps the compiler
with its SQL and parameters (a bounded LRU); afterwards only the SQL runs, and the rows
are converted exactly as Django converts them (`SQLCompiler.results_iter`).

The key must determine the queryset entirely: every value that goes into it (account,
filters, limit, offset). The SQL and its parameters are reused as they are, so a key
that left a value out would answer with another query's rows.
"""

import threading
from collections import OrderedDict

from django.core.exceptions import EmptyResultSet
from django.db import connections

SIZE = 512  # compiled queries kept per process (a few kB each), all connections together

_lock = threading.Lock()
_entries = OrderedDict()


class Compiled:
    """A values()/values_list() queryset compiled for one connection: its SQL, parameters,
    column names and Django's converters of the columns that have any (the compiler and
    the query are not kept: some 90 kB for a page of issues)."""

    __slots__ = ("connection", "converters", "names", "params", "sql")

    def __init__(self, queryset):
        query = queryset.query
        compiler = query.get_compiler(queryset.db)
        self.connection = compiler.connection
        self.names = list(query.selected or [*query.extra_select, *query.values_select, *query.annotation_select])
        try:
            self.sql, params = compiler.as_sql()
        except EmptyResultSet:  # a filter that matches nothing (e.g. `pk__in=[]`)
            self.sql, params = None, ()
            self.converters = []
        else:
            fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
            self.converters = [
                (position, functions, expression)
                for position, (functions, expression) in compiler.get_converters(fields).items()
            ]
        self.params = tuple(params)

    def run(self, params=None):
        """The rows as tuples, converted as `QuerySet.values_list()` converts them
        (`SQLCompiler.apply_converters`); `params` in place of the compiled ones."""
        if self.sql is None:
            return []
        connection = self.connection
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params if params is None else params)
            rows = cursor.fetchall()
        if not self.converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for position, functions, expression in self.converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            converted.append(tuple(row))
        return converted


def execute(queryset):
    """(column names, rows as tuples) of a values() queryset, compiled now (not kept)."""
    compiled = Compiled(queryset)
    return compiled.names, compiled.run()


def rows(key, build, *, using="default"):
    """(column names, rows as tuples) of the values() queryset `build()` returns,
    compiled once per connection and `key`."""
    names, compiled = _compiled_for(using, key, build)
    return names, compiled.run()


def _compiled_for(using, key, build):
    connection = connections[using]
    full_key = (connection, key)  # the compiler holds the connection (one per thread)
    with _lock:
        compiled = _entries.get(full_key)
        if compiled is not None:
            _entries.move_to_end(full_key)
    if compiled is None:
        queryset = build()
        assert queryset.db == using, "build() must return a queryset of the `using` database"
        compiled = Compiled(queryset)
        with _lock:
            _entries[full_key] = compiled
            while len(_entries) > SIZE:
                _entries.popitem(last=False)
    return compiled.names, compiled


def rows_for_ids(key, build, ids, *, using="default"):
    """`rows` of `build(ids)`, a queryset filtered by the primary keys `ids`
    (`pk__in=ids`) and otherwise by constants only: compiled once per `key` and number
    of ids (with stand-in ids), then run with these ids in the stand-ins' place."""
    stand_ins = tuple(range(-len(ids), 0))  # no row has a negative primary key
    names, compiled = _compiled_for(using, (key, len(ids)), lambda: build(list(stand_ins)))
    params = compiled.params
    for start in range(len(params) - len(stand_ins) + 1):
        if params[start : start + len(stand_ins)] == stand_ins:
            return names, compiled.run((*params[:start], *ids, *params[start + len(stand_ins) :]))
    return execute(build(list(ids)))  # the ids are not passed as one run of parameters


def clear():
    with _lock:
        _entries.clear()
