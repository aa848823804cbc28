"""Queries of hot pages compiled to SQL once per shape, then run with new arguments
(issue 13).

Building a queryset and compiling it to SQL costs 1,000 to 4,000 Python function calls,
more than reading a Discussion page's rows. A `PreparedQuery` calls its `build(*arguments)`
once per database connection with placeholder integers, compiles the values_list()
queryset it returns and keeps the SQL, the parameters (noting where the placeholders
went) and Django's converters of the columns. `rows(*arguments)` then runs that SQL with
the arguments in the placeholders' places and converts the rows exactly as
`QuerySet.values_list()` does (`SQLCompiler.apply_converters`).

The arguments must be integers (primary keys) whose value does not change the query's
shape; every other value in the query is fixed when it is built. api.compiled does the
same for the seller API with whole queries as keys.
"""

import weakref
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections

# Placeholder integers: negative, far from any primary key or constant of our queries,
# and within a 32-bit integer column's range (auth.User's key).
_PLACEHOLDER = -2_100_000_000


class CompiledQuery:
    __slots__ = ("converters", "names", "params", "slots", "sql")

    def __init__(self, queryset, placeholders):
        query = queryset.query
        compiler = query.get_compiler(queryset.db)
        self.sql, params = compiler.as_sql()
        self.names = tuple(query.values_select) + tuple(query.annotation_select)
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        self.converters = [
            (position, functions, expression)
            for position, (functions, expression) in compiler.get_converters(fields).items()
        ]
        self.params = list(params)
        self.slots = [
            (position, placeholders.index(value))
            for position, value in enumerate(self.params)
            if type(value) is int and value in placeholders
        ]
        missing = set(range(len(placeholders))) - {index for _, index in self.slots}
        if missing:
            raise ValueError(f"arguments {sorted(missing)} do not appear among the query's parameters")

    def params_for(self, arguments):
        params = self.params.copy()
        for position, index in self.slots:
            params[position] = arguments[index]
        return params

    def convert(self, rows, connection):
        """Rows as QuerySet.values_list() converts them (lists; the rows themselves when
        nothing converts)."""
        converters = self.converters
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for position, functions, expression in converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            converted.append(row)
        return converted

    def run(self, connection, arguments=()):
        """The rows, with the arguments in the placeholders' places, converted as
        QuerySet.values_list() converts them (lists; tuples when nothing converts)."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params_for(arguments))
            rows = cursor.fetchall()
        return self.convert(rows, connection)


class PreparedQuery:
    """`build(*arguments)` → a values_list() queryset, compiled once per connection."""

    def __init__(self, build):
        self.build = build
        # One compilation per connection (a connection object belongs to one thread).
        self._compiled = weakref.WeakKeyDictionary()

    def compiled(self, arity, using=DEFAULT_DB_ALIAS):
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            placeholders = [_PLACEHOLDER - position for position in range(arity)]
            compiled = CompiledQuery(self.build(*placeholders).using(using), placeholders)
            self._compiled[connection] = compiled
        return compiled

    def rows(self, *arguments, using=DEFAULT_DB_ALIAS):
        """The rows as lists, with the arguments in the placeholders' places."""
        return self.compiled(len(arguments), using).run(connections[using], arguments)

    def forget(self):
        """Compile again on next use (tests that change the schema or settings)."""
        self._compiled = weakref.WeakKeyDictionary()


def keeps_plans(connection):
    """Whether PostgreSQL keeps the plan of a query run again on `connection`: psycopg
    prepares it (prepare_threshold, config.settings); not behind PgBouncer in transaction
    pooling mode, where nothing outlives a transaction. There a query whose SQL text is
    the same on every run may use joins, which take longer to plan than to run."""
    threshold = connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold")
    return connection.vendor == "postgresql" and threshold is not None


def rows_together(calls, using=DEFAULT_DB_ALIAS):
    """The rows of several prepared queries, `[(query, arguments), ...]`, in that order. On
    PostgreSQL they are sent together in psycopg's pipeline mode: one round trip for all
    of them instead of one each (a case view's five reads: 1.0 ms one after the other,
    0.4 ms together, in a process alone). Under full load it saves waiting, not work: the
    case view's throughput (bench/pages.py) did not change, and a page of two queries
    (the Discussion page) was no better, so only the case view uses it. Elsewhere, where
    libpq has no pipeline mode, and behind PgBouncer's transaction pooling
    (settings.PGBOUNCER_TRANSACTION_POOLING), one after the other. Each still goes
    through Django's cursor (query logging and counting)."""
    import psycopg

    connection = connections[using]
    compiled = [(query.compiled(len(arguments), using), arguments) for query, arguments in calls]
    if (
        connection.vendor != "postgresql"
        or len(compiled) < 2
        or connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")  # behind PgBouncer
        or not psycopg.Pipeline.is_supported()
    ):
        return [query.run(connection, arguments) for query, arguments in compiled]
    connection.ensure_connection()
    cursors = []
    try:
        with connection.connection.pipeline():
            for query, arguments in compiled:
                cursors.append(connection.cursor())
                cursors[-1].execute(query.sql, query.params_for(arguments))
            return [
                query.convert(cursor.fetchall(), connection)
                for (query, _arguments), cursor in zip(compiled, cursors, strict=True)
            ]
    finally:
        for cursor in cursors:
            cursor.close()


# Per connection: querysets compiled once by their shape (rows_by_shape).
_shapes = weakref.WeakKeyDictionary()
SHAPES_LIMIT = 1000


def rows_by_shape(key, build, using=DEFAULT_DB_ALIAS):
    """The rows of `build()`, a values_list() queryset whose SQL and parameters `key`
    determines (the caller's promise), compiled once per database connection and key
    (issue 13): a changelist page of a fixed query, whose key is its ordering and slice."""
    connection = connections[using]
    compiled_by_key = _shapes.get(connection)
    if compiled_by_key is None:
        compiled_by_key = _shapes[connection] = {}
    compiled = compiled_by_key.get(key)
    if compiled is None:
        if len(compiled_by_key) >= SHAPES_LIMIT:
            compiled_by_key.clear()
        compiled = compiled_by_key[key] = CompiledQuery(build().using(using), [])
    return compiled.run(connection)


@cache
def attnames(model):
    """The attnames of `model`'s concrete fields: the columns a prepared query selects to
    rebuild its instances, in the order `Model.from_db` takes them."""
    return tuple(field.attname for field in model._meta.concrete_fields)


class RowReader:
    """Model instances rebuilt from one row of a prepared query, read column by column in
    the order the query selected them."""

    def __init__(self, row):
        self._values = iter(row)

    def take(self, count):
        """The next `count` values."""
        return [next(self._values) for _ in range(count)]

    def rest(self):
        return list(self._values)

    def instance(self, model, columns=None, known=()):
        """A `model` instance of `columns` (attnames; by default all, `attnames`): the
        values of `known` first (e.g. a key the row already gave), then the next values."""
        columns = columns or attnames(model)
        return model.from_db(DEFAULT_DB_ALIAS, columns, [*known, *self.take(len(columns) - len(known))])

    def optional_instance(self, model):
        """A `model` instance of all its columns, or None when the row has none (a LEFT
        JOIN found no row: its key is NULL)."""
        values = self.take(len(attnames(model)))
        return None if values[0] is None else model.from_db(DEFAULT_DB_ALIAS, attnames(model), values)
