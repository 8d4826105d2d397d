"""Passages -> a cited Answer: the pipeline (one answer path), the answer backends, the check of generated
answers against their passages (verify) and citation numbering for readers (citations)."""
