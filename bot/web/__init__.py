"""The web layer: FastAPI routes, the Gradio chat UI and the embeddable widget. Only calls the chain."""
