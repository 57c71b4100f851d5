"""``/api/health``: whether the service and its storage answer."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from streamcore.api.auth import Core
from streamcore.api.docs import errors

router = APIRouter(prefix="/api", tags=["health"])


class Health(BaseModel):
    """The service answers and so does its storage."""

    status: Literal["ok"] = "ok"


@router.get("/health", responses=errors(), openapi_extra={"security": []})
def health(core: Core) -> Health:
    """200 when storage answers, else a 503 problem."""
    core.check_health()
    return Health()
