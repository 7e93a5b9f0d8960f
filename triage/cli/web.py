"""`mediature serve`: the web application under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from triage.cli import STATE, ConfigOption, app, console, open_runtime


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Adresse d'écoute (défaut : web.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port d'écoute (défaut : web.port).")] = None,
    workers: Annotated[int, typer.Option(help="Nombre de processus (1 : le plus simple).", min=1)] = 1,
    config: ConfigOption = None,
) -> None:
    """Sert les pages de suivi des usagers et l'espace de la médiatrice."""
    import uvicorn

    from triage.web.app import create_app

    rt = open_runtime(config)
    h, p = host or rt.settings.web.host, port or rt.settings.web.port
    console.print(f"Médiature sert sur http://{h}:{p}/ (suivi : /suivi, santé : /health)")
    if workers > 1:
        # each worker process builds its own app (and database pool) from the same settings
        import os

        if config or STATE.config:
            os.environ["MEDIATURE_CONFIG"] = str(config or STATE.config)
        uvicorn.run(
            "triage.web.app:app_from_environment",
            factory=True,
            host=h,
            port=p,
            workers=workers,
            log_level="warning",
            access_log=False,
            proxy_headers=False,
        )
        return
    # proxy_headers=False: uvicorn would believe X-Forwarded-For from 127.0.0.1; the app believes it only
    # from web.trusted_proxies (triage.web.app.MediatureApp)
    uvicorn.run(create_app(rt), host=h, port=p, log_level="warning", access_log=False, proxy_headers=False)
