"""The mediation workspace (web): login, the review queue, dossiers, the mail service, administration.

- /connexion, /deconnexion                         auth_routes
- /mediation/ (queue), /mediation/tri/...          queue_routes      (mediator)
- /mediation/dossiers/...                          dossier_routes    (mediator)
- /mediation/mis-de-cote (spam, non-requests)      setaside_routes   (mediator)
- /mediation/pieces-jointes/..., /courriers/...    file_routes       (mediator)
- /mediation/dossiers/.../ecrire, /mediation/modeles, /mediation/annuaire   write_routes (mediator)
- /mediation/dossiers/.../attribution, /rappel, /non-lu   team_routes (mediator)
- /mediation/recherche                             search_routes     (mediator: full-text search)
- /mediation/donnees-personnelles                  privacy_routes    (mediator: retention, access, erasure)
- /courrier/transcriptions/...                     transcription_routes (mediator and mail service)
- /courrier/...                                    courrier_routes   (mail service)
- /admin/...                                       admin_routes      (administrator)

Every handler is declared with `common.endpoint(capability)`: session, role and CSRF checks live there.
"""

from __future__ import annotations

from starlette.routing import Route


def routes() -> list[Route]:
    """All workspace routes."""
    from triage.web.mediation import (
        admin_routes,
        auth_routes,
        courrier_routes,
        dossier_routes,
        file_routes,
        privacy_routes,
        queue_routes,
        search_routes,
        setaside_routes,
        team_routes,
        transcription_routes,
        write_routes,
    )

    return [
        *auth_routes.routes(),
        *queue_routes.routes(),
        *dossier_routes.routes(),
        *file_routes.routes(),
        *courrier_routes.routes(),
        *admin_routes.routes(),
        *setaside_routes.routes(),
        *write_routes.routes(),
        *team_routes.routes(),
        *privacy_routes.routes(),
        *search_routes.routes(),
        *transcription_routes.routes(),
    ]
