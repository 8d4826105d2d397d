"""/docs: Swagger UI over /openapi.json, its files served by the app from a pinned package (fastapi-offline),
so the page loads nothing from elsewhere: the app runs offline, and no CDN's script runs on the origin of /admin.
Only with CAREERBOT_API_DOCS=true; FastAPI's own /docs and /redoc (CDN-hosted) are always off."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"


def add_docs(app: FastAPI) -> None:
    import fastapi_offline

    # Only the package's files (Swagger UI 5, which reads OpenAPI 3.1): the route is ours.
    files = Path(fastapi_offline.__file__).parent / "static"
    app.mount(ASSETS, StaticFiles(directory=str(files)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - docs",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None})  # the default validator is a third-party site
