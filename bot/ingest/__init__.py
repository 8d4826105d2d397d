"""Articles in: files and web pages -> Documents (loaders, sites), chunks (chunking), the store (indexing),
and a folder kept in sync (watch)."""
