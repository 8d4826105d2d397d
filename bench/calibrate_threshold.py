"""Where should the refusal threshold sit? Prints the best passage similarity for on-topic and off-topic
questions written for calibration (deliberately not the graded eval questions), and the margin.

    python -m bench.calibrate_threshold
"""

from __future__ import annotations

import statistics

import bot  # noqa: F401
from bot.embeddings import get_embeddings
from bot.settings import get_settings
from bot.store import get_collection

ON_TOPIC = [
    "How do I get started as an ML engineer?", "What skills matter most for machine learning jobs?",
    "Do ML engineers need to know statistics?", "Which frameworks do machine learning people use?",
    "Is a PhD required for machine learning roles?", "What is the starting pay for ML engineers?",
    "How do data scientists differ from ML engineers?", "What problems do ML engineers run into?",
    "What industries hire machine learning engineers?", "What does model deployment involve?",
    "Is machine learning engineering a good career?", "What math should I learn for ML?",
    "Where is machine learning engineering heading?", "Do machine learning engineers work in teams?",
    "What cloud platforms do ML engineers use?", "Can I freelance as a machine learning engineer?",
]
OFF_TOPIC = [
    "How do I bake sourdough bread?", "Who won the 2018 football world cup?", "What is the capital of Peru?",
    "How do I fix a leaking tap?", "Recommend a good horror movie.", "How tall is Mount Everest?",
    "What's the weather like tomorrow?", "How do I train my puppy to sit?", "Best way to learn the guitar?",
    "How many calories are in an apple?", "What is the plot of Hamlet?", "How do I change a car tyre?",
    "Translate 'good morning' into French.", "What are the symptoms of the flu?", "How do I knit a scarf?",
    "Which planet is closest to the sun?", "What should I learn to play chess?", "How do I work out at the gym?",
    "Which cloud provider is cheapest for hosting my blog?", "Who is the president of France?",
]
SHORT_ON_TOPIC = [  # lean on the library's domain without naming it
    "What math do I need?", "What libraries should I learn?", "What is deployment?", "Can I work as a freelancer?",
    "Should I learn statistics?", "Which frameworks are popular?",
]


def best_similarity(question: str) -> float:
    found = get_collection(get_settings()).query(
        query_embeddings=[get_embeddings().embed_query(question)], n_results=1, include=["distances"]
    )
    return 1.0 - found["distances"][0][0]


def answered(questions: list[str]) -> int:
    from bot.chain import CareerBot

    careerbot = CareerBot(get_settings())
    return sum(bool(careerbot.retriever.invoke(q)) for q in questions)


def main() -> None:
    on = sorted(best_similarity(q) for q in ON_TOPIC)
    off = sorted(best_similarity(q) for q in OFF_TOPIC)
    print(f"on-topic  best-passage similarity: min {on[0]:.3f}  median {statistics.median(on):.3f}")
    print(f"off-topic best-passage similarity: max {off[-1]:.3f}  median {statistics.median(off):.3f}")
    print(f"gap between them: {on[0] - off[-1]:.3f}; midpoint {(on[0] + off[-1]) / 2:.3f}; "
          f"current CAREERBOT_THRESHOLD {get_settings().threshold}")
    short = sorted(best_similarity(q) for q in SHORT_ON_TOPIC)
    print(f"short on-topic best-passage similarity: min {short[0]:.3f}  median {statistics.median(short):.3f}")
    print(f"retriever answers: on-topic {answered(ON_TOPIC)}/{len(ON_TOPIC)}, short on-topic "
          f"{answered(SHORT_ON_TOPIC)}/{len(SHORT_ON_TOPIC)}, off-topic {answered(OFF_TOPIC)}/{len(OFF_TOPIC)} "
          f"(supported threshold {get_settings().supported_threshold})")


if __name__ == "__main__":
    main()
