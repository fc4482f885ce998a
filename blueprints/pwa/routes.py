"""Health check."""
import sqlalchemy as sa

from blueprints.pwa import bp
from extensions import db


@bp.get("/healthz")
def healthz():
    """200 with JSON when the app can reach its database."""
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/livez")
def livez():
    """200 while the process is up, touching nothing else (liveness probes, the benchmark's baseline)."""
    return {"status": "alive"}
