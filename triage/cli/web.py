"""`mediature serve`: the web application under uvicorn."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from triage.cli import ConfigOption, app, console, open_runtime


@app.command("serve")
def serve(
    host: Annotated[Optional[str], typer.Option(help="Adresse d'écoute (défaut : web.host).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port d'écoute (défaut : web.port).")] = None,
    config: ConfigOption = None,
) -> None:
    """Sert les pages de suivi des usagers et l'espace de la médiatrice."""
    import uvicorn

    from triage.web.app import create_app

    rt = open_runtime(config)
    h, p = host or rt.settings.web.host, port or rt.settings.web.port
    console.print(f"Médiature sert sur http://{h}:{p}/ (suivi : /suivi, santé : /health)")
    uvicorn.run(create_app(rt), host=h, port=p, log_level="warning", access_log=False, proxy_headers=True)
