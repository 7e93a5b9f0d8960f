"""The terminal view of the review queue: `mediature queue`, `mediature review REF`, `mediature digest`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from triage.cli import ConfigOption, app, console, open_runtime
from triage.cli.tables import CHANNELS, Column, french, paris_time, show
from triage.dossiers.statuses import status_label
from triage.errors import DossierError
from triage.store.audit import Actor, record
from triage.workspace.common import find_dossier, latest_suggestion
from triage.workspace.deadlines import compute, queue_digest
from triage.workspace.labels import label_choices
from triage.workspace.queue import LabelView, pending_queue
from triage.workspace.review import Labels, confirm
from triage.workspace.review import accept as accept_suggestion


def _suggested(label: LabelView | None) -> Text:
    """« Recevable — sûr à 99 % », or the label and « à vérifier (63 %) » in bold red."""
    if label is None:
        return Text("pas de suggestion")
    pct = f"{round(label.confidence * 100)} %"
    if label.to_check:
        return Text.assemble(f"{label.name} — ", (f"à vérifier ({pct})", "bold red"))
    return Text(f"{label.name} — sûr à {pct}")


@app.command("queue")
def queue(
    limit: Annotated[int, typer.Option(help="Nombre maximal de demandes affichées.")] = 50,
    config: ConfigOption = None,
) -> None:
    """Affiche les demandes à trier, des plus anciennes aux plus récentes, avec la suggestion."""

    rt = open_runtime(config)
    with rt.sessions.begin() as session:
        items = pending_queue(session, rt.settings, limit=limit)
        record(session, Actor.terminal(), "queue.view", details={"dossiers": [i.dossier_id for i in items]})
        late = compute(session, rt.settings, rt.clock())
    columns = [
        Column("référence", whole=True),
        Column("reçue le", whole=True),
        Column("canal"),
        Column("domaine"),
        Column("recevabilité"),
        Column("réorientation"),
        Column("même personne ?"),
    ]
    rows: list[list[str | Text]] = [
        [
            item.reference,
            paris_time(item.received_at),
            french(CHANNELS, item.channel),
            *(_suggested(item.label(kind)) for kind in ("domain", "admissibility", "reorientation")),
            ", ".join(c.reference for c in item.candidates),
        ]
        for item in items
    ]
    show(console, f"Demandes à trier : {len(items)}", columns, rows, heading=3)
    console.print(
        f"Échéances : {len(late.service_overdue)} réponse(s) de service en retard, "
        f"{len(late.no_first_contact)} demande(s) sans premier contact, "
        f"{len(late.open_too_long)} dossier(s) ouverts depuis plus de "
        f"{rt.settings.deadlines.open_alert_months} mois."
    )
    console.print(
        "Accepter : [bold]mediature review REF --accept[/] ; corriger : "
        "[bold]mediature review REF --domain … --admissibility … --reorientation …[/]"
    )


@app.command("review")
def review(
    reference: Annotated[str, typer.Argument(help="Référence du dossier (MED-2026-00042).")],
    accept: Annotated[bool, typer.Option("--accept", help="Accepte la suggestion telle quelle.")] = False,
    domain: Annotated[str | None, typer.Option(help="Domaine retenu (code).")] = None,
    admissibility: Annotated[str | None, typer.Option(help="Recevabilité retenue (code).")] = None,
    reorientation: Annotated[
        str | None, typer.Option(help="Réorientation retenue (code, none sinon).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Confirme (--accept) ou corrige le tri d'une demande ; l'exemple sert au prochain `mediature train`."""

    if accept and (domain or admissibility or reorientation):
        raise typer.BadParameter("--accept ou bien --domain/--admissibility/--reorientation, pas les deux")
    if not accept and not (domain or admissibility or reorientation):
        raise typer.BadParameter("indiquez --accept, ou les étiquettes à retenir")
    rt = open_runtime(config)
    actor = Actor.terminal()
    with rt.sessions.begin() as session:
        dossier = find_dossier(session, reference)
        if accept:
            example = accept_suggestion(session, rt.settings, dossier, actor)
        else:
            suggestion = latest_suggestion(session, dossier.id)

            def pick(given: str | None, kind: str) -> str:
                value = given or getattr(dossier, kind) or (getattr(suggestion, kind) if suggestion else None)
                if not value:
                    raise DossierError(f"indiquez --{kind}", key=dossier.reference)
                return str(value)

            example = confirm(
                session,
                rt.settings,
                dossier,
                Labels(
                    pick(domain, "domain"),
                    pick(admissibility, "admissibility"),
                    pick(reorientation, "reorientation"),
                ),
                actor,
            )
        verb = "corrigé" if example.corrected else "confirmé"
        choices = label_choices(rt.settings)
        named = " / ".join(
            choices.name(kind, code) or code
            for kind, code in (
                ("domains", example.domain),
                ("admissibility", example.admissibility),
                ("reorientation", example.reorientation),
            )
        )
        console.print(f"{dossier.reference} : tri {verb} — {named} (étape : {status_label(dossier.status)}).")


@app.command("digest")
def digest(config: ConfigOption = None) -> None:
    """Met dans la boîte d'envoi le récapitulatif quotidien des échéances (une fois par jour et par destinataire)."""

    rt = open_runtime(config)
    with rt.sessions.begin() as session:
        items = queue_digest(session, rt.settings, rt.secret, rt.clock())
        sent_to = len(items)
    console.print(
        f"Récapitulatif du jour mis en envoi pour {sent_to} destinataire(s) "
        "(`mediature outbox flush` ou le worker l'envoient)."
    )
