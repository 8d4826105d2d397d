from concurrent.futures import ThreadPoolExecutor

import numpy as np

from bot.embeddings import embed_query, get_embeddings

QUESTIONS = [f"question {i} about {topic}?" for i, topic in enumerate(
    ["salaries", "Python", "degrees", "data scientists", "deployment", "interviews", "portfolios", "statistics"] * 3)]


def test_concurrent_questions_get_their_own_vectors():
    with ThreadPoolExecutor(max_workers=12) as pool:
        batched = list(pool.map(embed_query, QUESTIONS))
    alone = get_embeddings().embed_documents(QUESTIONS)
    assert np.allclose(batched, alone, atol=1e-5)
    assert len({tuple(np.round(v, 4)) for v in batched}) == len(set(QUESTIONS))


def test_query_vectors_are_normalised_like_passages():
    assert abs(np.linalg.norm(embed_query("What does a machine learning engineer do?")) - 1.0) < 1e-5
