"""Russian NER (natasha: slovnet's news model and navec embeddings, shipped inside the
wheels, so nothing is downloaded) as the scanner's :class:`~derbes.scanner.ports.NameModel`.

Loaded on first use (a few seconds): a scan that has no doubtful name never pays for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class NatashaNames:
    def __init__(self) -> None:
        self._parts: tuple[Any, Any] | None = None

    def _load(self) -> tuple[Any, Any]:
        if self._parts is None:
            from natasha import NewsEmbedding, NewsNERTagger, Segmenter

            self._parts = (Segmenter(), NewsNERTagger(NewsEmbedding()))
        return self._parts

    def persons(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        from natasha import Doc

        segmenter, tagger = self._load()
        out: list[list[tuple[int, int]]] = []
        for text in texts:
            doc = Doc(text)
            doc.segment(segmenter)
            doc.tag_ner(tagger)
            out.append([(span.start, span.stop) for span in doc.spans if span.type == "PER"])
        return out
