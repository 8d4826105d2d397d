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
