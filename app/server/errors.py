"""Errors as OpenAI's API gives them: `{"error": {"message", "type", "param", "code"}}`, with
the status that says what went wrong."""

from __future__ import annotations

from starlette.responses import JSONResponse


class ApiError(Exception):
    """A request the server answers with an error: one line for the client."""

    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.param = param
        self.code = code
        self.headers = headers

    def response(self) -> JSONResponse:
        return error_response(self.status, self.message, type_=self.type, param=self.param,
                              code=self.code, headers=self.headers)


def error_response(status: int, message: str, *, type_: str = "invalid_request_error",
                   param: str | None = None, code: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def bad_request(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, param=param)


def unknown_model(message: str) -> ApiError:
    return ApiError(404, message, param="model", code="model_not_found")


def unauthorized() -> ApiError:
    return ApiError(401, "Missing or wrong API key: send it as 'Authorization: Bearer KEY'.",
                    type_="authentication_error", code="invalid_api_key")


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"The request body is over the limit of {limit // 1024 // 1024} MB.",
                    code="request_too_large")


def queue_full(waiting: int, retry_after_s: int) -> ApiError:
    return ApiError(503, f"The server is busy ({waiting} requests are waiting); try again "
                         "shortly.", type_="server_error", code="queue_full",
                    headers={"Retry-After": str(retry_after_s)})


def shutting_down() -> ApiError:
    return ApiError(503, "The server is shutting down.", type_="server_error",
                    code="shutting_down")


def server_error(message: str) -> ApiError:
    return ApiError(500, message, type_="server_error")
