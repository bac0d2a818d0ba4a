"""The JSON API under /api/: one NinjaAPI, one error shape, routers contributed by the apps."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser as NinjaParser

from jingwu.lib.errors import ServiceError


class Parser(NinjaParser):
    """Ninja's JSON parser, with a body nested too deep for Python's json module refused as bad input."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return super().parse_body(request)
        except RecursionError as exc:
            raise HttpError(400, gettext("请求体嵌套过深")) from exc


log = logging.getLogger("jingwu.api")

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "stable, machine-readable"},
                "message": {"type": "string", "description": "Chinese / English"},
                "details": {"type": "object"},
            },
        }
    },
}


class JingwuAPI(NinjaAPI):
    """The generated document, completed: the one error shape for every status an operation may answer
    besides its own (401, 403, 404, 409, 429, 500 …), and the bearer-token scheme."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        components.setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "a token from POST /api/auth/token",
        }
        error = {
            "description": "an error, in the one shape",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for item in schema["paths"].values():
            for operation in item.values():
                operation.setdefault("responses", {})["default"] = error
        return schema


api = JingwuAPI(
    parser=Parser(),
    title="智慧精武 Jingwu API",
    version="1",
    description="Cases over grids: report, follow and handle every problem through one closed loop. "
    'Errors: `{"error": {"code", "message", "details"}}` with stable codes.',
    urls_namespace="api",
)


def error(request: HttpRequest, status: int, code: str, message: str, details: Any = None) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message, "details": details or {}}}, status=status
    )


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return error(request, exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [{"loc": [str(p) for p in e.get("loc", [])], "msg": e.get("msg", "")} for e in exc.errors]
    return error(request, 400, "invalid", gettext("请求参数无效"), {"fields": fields})


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 401, "unauthenticated", gettext("需要登录或有效令牌"))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", gettext("未找到"))


@api.exception_handler(OverflowError)
def on_overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    # An id or number past what the database stores (SQLite raises this while binding a 20-digit id the
    # schema admitted as an int): the client's input, not the server's fault.
    return error(request, 400, "invalid", gettext("数值超出范围"))


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Whatever went wrong, an API client gets the API's error shape (the details stay in the log)."""
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error(request, 500, "server_error", gettext("服务器内部错误，请稍后重试"))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    return error(request, exc.status_code, codes.get(exc.status_code, "invalid"), str(exc))


from jingwu.cases.api import router as cases_router  # noqa: E402
from jingwu.geo.api import router as geo_router  # noqa: E402
from jingwu.iot.api import router as iot_router  # noqa: E402
from jingwu.org.api import router as org_router  # noqa: E402
from jingwu.patrols.api import router as patrols_router  # noqa: E402
from jingwu.petitions.api import router as petitions_router  # noqa: E402
from jingwu.registry.api import router as registry_router  # noqa: E402
from jingwu.safety.api import router as safety_router  # noqa: E402
from jingwu.stats.api import router as stats_router  # noqa: E402
from jingwu.supervision.api import router as supervision_router  # noqa: E402

api.add_router("", org_router)
api.add_router("", geo_router)
api.add_router("", cases_router)
api.add_router("", safety_router)
api.add_router("", iot_router)
api.add_router("", patrols_router)
api.add_router("", petitions_router)
api.add_router("", supervision_router)
api.add_router("", registry_router)
api.add_router("", stats_router)
