"""The store's reaction to dossier actions (registered by ``app.wiring``): what reception
accepted and what the agency returned enters the applicant's store (docs/decisions/0028)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.docstore import service
from app.dossiers.events import DossierChanged


def on_dossier_changed(session: Session, event: DossierChanged) -> None:
    """``receive``: the accepted components; ``return_result``: the results and any component
    accepted since (a supplement sent during processing)."""
    if event.action == "receive":
        service.collect(session, event.dossier, components=True)
    elif event.action == "return_result":
        service.collect(session, event.dossier, components=True, results=True)
