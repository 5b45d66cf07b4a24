"""Results of a mapped task, as a downstream task receives them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def mapped_results(results: Sequence[Any] | None) -> list[Any]:
    """The results that exist, in map-index order, as a plain list (empty when there are none).

    Airflow hands a downstream task a lazy sequence; iterating it asks for one item past the end, which
    the task log reports as an error ("XCom not found"). Reading by index up to its length does not."""
    return [results[i] for i in range(len(results or []))]
