"""``streamcore serve`` answers over real HTTP and stops cleanly on SIGTERM."""

from __future__ import annotations

from tests.e2e.server import LiveServer


def test_health_and_a_problem_answer_over_http(live_server: LiveServer) -> None:
    with live_server.client() as http:
        assert http.get("/api/health").json() == {"status": "ok"}
        refused = http.get("/api/movie")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["www-authenticate"] == "Bearer"


def test_sigterm_stops_the_server(live_server: LiveServer) -> None:
    live_server.stop()
    # uvicorn shuts down gracefully, then re-raises the signal it caught (exit by SIGTERM).
    assert live_server.process.returncode in {0, -15}
    assert "Application shutdown complete" in live_server.log()
