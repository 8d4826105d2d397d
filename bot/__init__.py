"""careerbot: cited answers about machine-learning careers from a library of articles.

Importing the package only sets the offline switches below; nothing heavy loads until it is used.
"""

import os

# Applied before any Hugging Face, Gradio or Chroma import so nothing phones home or downloads.
for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_name, _value)

# torch's oneDNN keeps a compiled kernel (with its scratch memory) per input shape, up to 1,024 of them; ingest's
# batches come in many lengths, and with bf16 products that cache took a 1,000-article ingest from ~1.0 to 1.9 GB
# peak RSS. Eight kept kernels measured the same speed (bench.ingest) at 1.05 GB.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "8")
