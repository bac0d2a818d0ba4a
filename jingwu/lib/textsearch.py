"""Words of Chinese text for full-text search on PostgreSQL.

PostgreSQL's own parsers do not segment Chinese, and trigrams need three characters where most Chinese
search terms have two (井盖, 占道). So the words are cut here, by jieba's search mode (a word and the shorter
words inside it: 安全隐患 → 安全, 隐患, 安全隐患), stored space-separated in a column, and indexed as a
``simple`` tsvector (no stemming, no stop words). A query is cut the same way and matches the cases that
hold all of its words.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.db import NotSupportedError
from django.db.models import Lookup
from django.db.models.expressions import Col


@functools.cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def words(*texts: str) -> list[str]:
    """The searchable words of the texts, lower-cased, each once, in order (punctuation and spaces dropped)."""
    seen: dict[str, None] = {}
    cut = _jieba().cut_for_search
    for text in texts:
        for word in cut(text or ""):
            word = word.strip().lower()
            if word and any(ch.isalnum() for ch in word):
                seen.setdefault(word, None)
    return list(seen)


def document(*texts: str) -> str:
    return " ".join(words(*texts))[:8000]


class Words(Lookup):
    """``search__words="井盖 破损"``: the rows whose stored words hold every word of the value.

    PostgreSQL only: it reads the ``search_vector`` column that a migration generates beside the words column
    (``cases`` 0022), through its GIN index, so that a row is checked by comparing vectors, not by computing one.
    """

    lookup_name = "words"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        raise NotSupportedError("full-text search needs PostgreSQL")

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if not isinstance(self.lhs, Col):
            raise NotSupportedError("the words lookup reads the words column itself, not an expression over it")
        rhs, params = self.process_rhs(compiler, connection)
        table = compiler.quote_name_unless_alias(self.lhs.alias)
        return f"{table}.search_vector @@ plainto_tsquery('simple'::regconfig, {rhs})", tuple(params)
