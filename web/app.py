"""The web application: FastAPI with sign-in, CSRF, security headers, and the routers of web.routes."""

from __future__ import annotations

import importlib
import logging
from urllib.parse import quote

import fastapi.routing
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute

from sepwatch import __version__
from sepwatch.app import App
from web.deps import PUBLIC_PATHS, NotSignedIn, WebState, csrf_protect, enforce_auth, is_api
from web.i18n import get_language, load_catalogs, translator
from web.routes import ROUTERS
from web.security import SecurityHeadersMiddleware, load_secret_key
from web.templating import STATIC_DIR, render

log = logging.getLogger(__name__)

API_DESCRIPTION = (
    "The data of the sepwatch web UI for scripts. Authenticate with `Authorization: Bearer <token>` "
    "(create a token on the account page or with `sepwatch users token`)."
)


def create_app(app: App) -> FastAPI:
    """The web UI and JSON API over *app*'s store and search index."""
    load_catalogs()  # a broken message catalog stops the start, naming the file and key
    web = WebState.build(app, load_secret_key(app.settings))
    api = FastAPI(
        title="sepwatch",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,  # Swagger UI needs inline script and a CDN; /api/docs and /api/v1/openapi.json instead
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(enforce_auth), Depends(csrf_protect)],
    )
    api.state.web = web
    api.add_middleware(SecurityHeadersMiddleware, hsts=web.secure_cookies)
    api.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for name in ROUTERS:
        api.include_router(importlib.import_module(name).router)
    web.public_routes = {id(route) for path, _, route in route_table(api) if path in PUBLIC_PATHS}
    api.add_exception_handler(NotSignedIn, _not_signed_in)  # type: ignore[arg-type]
    api.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    api.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    return api


def route_table(api: FastAPI) -> list[tuple[str, frozenset[str], BaseRoute]]:
    """Every route of *api*, included routers flattened: (path as declared, methods, the route object)."""
    table: list[tuple[str, frozenset[str], BaseRoute]] = []
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is not None:  # FastAPI >= 0.160 keeps included routers as one route each
        for context in iter_contexts(api.routes):
            path = context.path_format or context.path or ""
            table.append((path, frozenset(context.methods or ()), context.original_route))
    else:
        for route in api.routes:
            path = str(getattr(route, "path_format", None) or getattr(route, "path", ""))
            table.append((path, frozenset(getattr(route, "methods", None) or ()), route))
    return table


async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
    if is_api(request):
        return JSONResponse({"detail": exc.detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    target = "/login"
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += "?next=" + quote(here, safe="")
    return RedirectResponse(target, status_code=303)


def _error_page(
    request: Request, status_code: int, detail: str, headers: dict[str, str] | None = None
) -> Response:
    t = translator(get_language(request))
    heading = t(f"core.error.{status_code}")
    if heading == f"core.error.{status_code}":
        heading = t("core.error.other")
    if status_code == 404 and detail == "Not Found":
        detail = t("core.error.404_detail")
    elif status_code == 403 and detail.startswith("CSRF check failed"):
        detail = t("core.error.csrf")
    elif status_code == 403 and detail.startswith("this needs the"):
        detail = t("core.error.403_detail")
    return render(
        request,
        "error.html",
        {"status_code": status_code, "heading": heading, "detail": detail},
        status_code=status_code,
        headers=headers,
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    headers = dict(exc.headers) if exc.headers else None
    if is_api(request):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
    return _error_page(request, exc.status_code, str(exc.detail), headers)


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    if is_api(request):
        return JSONResponse({"detail": jsonable_errors(exc)}, status_code=422)
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', '')}"
        for error in exc.errors()
    )
    return _error_page(request, 422, problems)


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    return [
        {
            "loc": list(error.get("loc", ())),
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
