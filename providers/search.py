"""Text search and postcodes for the directory, the same on every page, API and feed.

PostgreSQL matches against the stored, GIN-indexed ``search_vector`` column (migration 0006), ranked
with ``ts_rank_cd``; SQLite, the embedded default, falls back to matching every word of the query
in ``search_document``. Both read the same document, written by ``build_search_document`` whenever
a listing or what it shows changes.
"""

import re

from django.db import connection
from django.db.models import BooleanField, Expression, FloatField, Q, QuerySet, Value

# A whole UK postcode ("E8 1AB", "e81ab") or just its outward code, the district ("E8", "SW1A").
_OUTWARD = r"(?:[A-Z]{1,2}[0-9][0-9A-Z]?|GIR)"
_INWARD = r"[0-9][A-Z]{2}"
_POSTCODE_RE = re.compile(rf"^(?P<district>{_OUTWARD})\s*(?P<inward>{_INWARD})?$")
MAX_QUERY_LENGTH = 200


class PostcodeError(ValueError):
    """What a person typed is not a postcode or postcode district."""


def postcode_district(text: str) -> str:
    """The postcode district of a postcode or district a person typed: "e8 1ab" → "E8".

    Raises ``PostcodeError`` when it is neither.
    """
    cleaned = re.sub(r"\s+", " ", (text or "").strip().upper())
    match = _POSTCODE_RE.match(cleaned)
    if not match:
        raise PostcodeError("Enter a real postcode, like E8 1AB, or the first half of one, like E8")
    return match.group("district")


def build_search_document(*, title: str, description: str, organisation_name: str, category_name: str,
                          specialisms: list[str], languages: list[str], areas: list[str]) -> str:
    """The text a listing is found by. The title is searched separately, with a higher weight."""
    parts = [organisation_name, category_name, description, " ".join(specialisms), " ".join(languages),
             " ".join(areas)]
    return "\n".join(part for part in parts if part)


class _TextMatch(Expression):
    """``<listing table>.search_vector @@ websearch_to_tsquery('english', %s)``, and its rank.

    The alias is resolved when compiled, so the expression still works when Django renames the
    listing table inside a subquery.
    """

    def __init__(self, text: str, *, rank: bool):
        super().__init__(output_field=FloatField() if rank else BooleanField())
        self.text, self.rank = text, rank

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        column = f"{compiler.quote_name(alias)}.search_vector"
        query = "websearch_to_tsquery('english'::regconfig, %s)"
        if self.rank:
            return f"ts_rank_cd({column}, {query})", [self.text]
        return f"{column} @@ {query}", [self.text]


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"\W+", text[:MAX_QUERY_LENGTH]) if word]


def matching(queryset: QuerySet, text: str) -> QuerySet:
    """``queryset`` (of listings) narrowed to those matching ``text``, annotated with ``rank``.

    An empty or all-punctuation query narrows nothing and ranks everything equally.
    """
    text = (text or "").strip()[:MAX_QUERY_LENGTH]
    if not _words(text):
        return queryset.annotate(rank=Value(0.0, output_field=FloatField()))
    if connection.vendor == "postgresql":
        return queryset.filter(_TextMatch(text, rank=False)).annotate(rank=_TextMatch(text, rank=True))
    for word in _words(text):
        queryset = queryset.filter(Q(title__icontains=word) | Q(search_document__icontains=word))
    return queryset.annotate(rank=Value(0.0, output_field=FloatField()))
