"""DatetimeFormat: Django's date formatting for the many datetimes of one page, each day
and minute formatted once (issue 13)."""

from django.utils import dateformat

# Format specifiers that depend on the date only (django.utils.dateformat.DateFormat).
DATE_SPECIFIERS = frozenset("bdDEFjlLmMnNoStwWyYz")
# ... and those that do not depend on more than the minute (and the zone's offset).
MINUTE_SPECIFIERS = DATE_SPECIFIERS | frozenset("aAefgGhHiIOPTZ")


class DatetimeFormat:
    """`dateformat.format(value, format)` for the many datetimes of one page, with the
    parts that depend only on the date (month names, which are translated) computed
    once per day, and the whole text once per minute when the format shows no seconds."""

    def __init__(self, format_string):
        self.pieces = []
        for index, piece in enumerate(dateformat.re_formatchars.split(str(format_string))):
            if index % 2:
                self.pieces.append((piece, piece in DATE_SPECIFIERS))
            elif piece:
                self.pieces.append((dateformat.re_escaped.sub(r"\1", piece), None))
        self.days = {}
        self.by_minute = all(of_date is None or piece in MINUTE_SPECIFIERS for piece, of_date in self.pieces)
        self.minutes = {}

    def __call__(self, value):
        if not self.by_minute:
            return self.format(value)
        # The local minute (fold tells the two of a repeated hour apart) and its zone.
        key = (value.year, value.month, value.day, value.hour, value.minute, value.fold, value.tzinfo)
        text = self.minutes.get(key)
        if text is None:
            text = self.minutes[key] = self.format(value)
        return text

    def format(self, value):
        formatter = None
        day = self.days.get(value.date())
        if day is None:
            formatter = dateformat.DateFormat(value)
            day = {piece: str(getattr(formatter, piece)()) for piece, of_date in self.pieces if of_date}
            self.days[value.date()] = day
        out = []
        for piece, of_date in self.pieces:
            if of_date is None:
                out.append(piece)
            elif of_date:
                out.append(day[piece])
            else:
                formatter = formatter or dateformat.DateFormat(value)
                out.append(str(getattr(formatter, piece)()))
        return "".join(out)
