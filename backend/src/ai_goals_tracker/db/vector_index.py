"""One partial HNSW index per embedding model over the undimensioned `embeddings.embedding` column.

pgvector indexes need a fixed dimension, so each model's rows are indexed through a cast,
`(embedding::vector(n))`, restricted with `WHERE model = '...'`; queries repeat the same cast and
filter so the planner picks that model's index.
"""

from __future__ import annotations

import re

HNSW_INDEX_PREFIX = "idx_embeddings_hnsw_"
# HNSW over `vector` supports at most 2,000 dimensions; larger models are indexed as halfvec.
MAX_VECTOR_INDEX_DIMENSIONS = 2000


def hnsw_index_name(model: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", model.lower()).strip("_")
    return (HNSW_INDEX_PREFIX + slug)[:63]


def vector_cast(dimensions: int) -> str:
    kind = "vector" if dimensions <= MAX_VECTOR_INDEX_DIMENSIONS else "halfvec"
    return f"{kind}({dimensions})"


def create_hnsw_index_sql(model: str, dimensions: int, *, concurrently: bool = False) -> str:
    ops = "vector_cosine_ops" if dimensions <= MAX_VECTOR_INDEX_DIMENSIONS else "halfvec_cosine_ops"
    literal = model.replace("'", "''")
    return (
        f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}IF NOT EXISTS {hnsw_index_name(model)} "
        f"ON embeddings USING hnsw ((embedding::{vector_cast(dimensions)}) {ops}) "
        f"WHERE model = '{literal}'"
    )


def drop_hnsw_index_sql(model: str) -> str:
    return f"DROP INDEX IF EXISTS {hnsw_index_name(model)}"
