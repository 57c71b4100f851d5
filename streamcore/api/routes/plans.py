"""``/api/plan``: plans (read by anyone, written by admins) and the movies in them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from streamcore.api.auth import Anyone, Core, MayManagePlans, MayReadMovies, MayWritePlanMovies
from streamcore.api.docs import errors
from streamcore.movies.models import Movie
from streamcore.paging import Page, PageQuery
from streamcore.subscriptions.models import Plan, PlanCreate, PlanPatch, PlanQuery

router = APIRouter(prefix="/api/plan", tags=["plans"])

PlanId = Annotated[int, Path(alias="id", description="The plan's id.")]
MovieId = Annotated[int, Path(description="The movie's id.")]


@router.get("", responses=errors(401, 422), openapi_extra={"security": [{}, {"HTTPBearer": []}]})
def list_plans(query: Annotated[PlanQuery, Query()], actor: Anyone, core: Core) -> Page[Plan]:
    """Active plans (admins: inactive ones too, with ``include_inactive``)."""
    return core.plans.list(query, actor=actor)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(401, 403, 409, 422))
def create_plan(data: PlanCreate, response: Response, actor: MayManagePlans, core: Core) -> Plan:
    """Add a plan; ``Location`` names it."""
    plan = core.plans.create(data, actor=actor)
    response.headers["Location"] = f"/api/plan/{plan.id}"
    return plan


@router.get(
    "/{id}", responses=errors(401, 404, 422), openapi_extra={"security": [{}, {"HTTPBearer": []}]}
)
def get_plan(plan_id: PlanId, actor: Anyone, core: Core) -> Plan:
    """One plan (an inactive one: admins only)."""
    return core.plans.get(plan_id, actor=actor)


@router.put("/{id}", responses=errors(401, 403, 404, 409, 422))
def replace_plan(plan_id: PlanId, data: PlanCreate, actor: MayManagePlans, core: Core) -> Plan:
    """Replace every field of a plan."""
    return core.plans.replace(plan_id, data, actor=actor)


@router.patch("/{id}", responses=errors(401, 403, 404, 409, 422))
def update_plan(plan_id: PlanId, patch: PlanPatch, actor: MayManagePlans, core: Core) -> Plan:
    """Change the fields given."""
    return core.plans.update(plan_id, patch, actor=actor)


@router.delete(
    "/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404, 409)
)
def delete_plan(plan_id: PlanId, actor: MayManagePlans, core: Core) -> None:
    """Delete a plan that no live subscription holds (else deactivate it)."""
    core.plans.delete(plan_id, actor=actor)


@router.get("/{id}/movie", responses=errors(401, 403, 404, 422))
def plan_movies(
    plan_id: PlanId, page: Annotated[PageQuery, Query()], actor: MayReadMovies, core: Core
) -> Page[Movie]:
    """One page of the plan's movies."""
    return core.plans.movies(plan_id, page, actor=actor)


@router.put(
    "/{id}/movie/{movie_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(401, 403, 404, 422),
)
def add_plan_movie(
    plan_id: PlanId, movie_id: MovieId, actor: MayWritePlanMovies, core: Core
) -> None:
    """Put a movie into the plan (already in it: nothing changes)."""
    core.plans.add_movie(plan_id, movie_id, actor=actor)


@router.delete(
    "/{id}/movie/{movie_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(401, 403, 404),
)
def remove_plan_movie(
    plan_id: PlanId, movie_id: MovieId, actor: MayWritePlanMovies, core: Core
) -> None:
    """Take a movie out of the plan."""
    core.plans.remove_movie(plan_id, movie_id, actor=actor)
