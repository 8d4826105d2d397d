"""Question -> passages: hybrid search (dense + BM25), follow-ups and the decline check (retriever), over the
library's index kept in memory and derived from the store (index)."""
