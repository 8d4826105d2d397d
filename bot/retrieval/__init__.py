"""Question -> passages: hybrid search (dense + BM25), follow-ups and the decline check (retriever), over the
lexical index derived from the store (lexical)."""
