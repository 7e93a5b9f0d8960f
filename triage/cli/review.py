"""The terminal view of the review queue: `mediature queue`, `mediature review REF`, `mediature digest`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from triage.cli import ConfigOption, app, console, open_runtime
from triage.cli.dossiers import WIDE_ENOUGH, paris_time
from triage.dossiers.statuses import status_label
from triage.workspace.labels import label_choices


def _confidence(value: float, to_check: bool) -> str:
    pct = f"{round(value * 100)} %"
    return f"[bold red]à vérifier, {pct}[/]" if to_check else f"sûr à {pct}"


@app.command("queue")
def queue(
    limit: Annotated[int, typer.Option(help="Nombre maximal de demandes affichées.")] = 50,
    config: ConfigOption = None,
) -> None:
    """Affiche les demandes à trier, des plus anciennes aux plus récentes, avec la suggestion."""
    from triage.store.audit import Actor, record
    from triage.workspace.deadlines import compute
    from triage.workspace.queue import pending_queue

    rt = open_runtime(config)
    with rt.sessions.begin() as session:
        items = pending_queue(session, rt.settings, limit=limit)
        record(session, Actor.terminal(), "queue.view", details={"dossiers": [i.dossier_id for i in items]})
        late = compute(session, rt.settings)
    if console.width < WIDE_ENOUGH:  # one block per request: nothing cut mid-token at 80 columns
        choices = label_choices(rt.settings)
        console.print(f"[bold]Demandes à trier : {len(items)}[/]")
        for item in items:
            console.print(
                Text.assemble(
                    (item.reference, "bold"), f"  reçue le {paris_time(item.received_at)}, {item.channel}"
                )
            )
            for kind, name in (
                ("domain", "domaine"),
                ("admissibility", "recevabilité"),
                ("reorientation", "réorientation"),
            ):
                lab = item.label(kind)
                choice_kind = "domains" if kind == "domain" else kind
                text = (
                    (
                        f"{choices.name(choice_kind, lab.code) or lab.code} [{lab.code}], "
                        f"{_confidence(lab.confidence, lab.to_check)}"
                    )
                    if lab
                    else "pas de suggestion"
                )
                console.print(Padding(Text.from_markup(f"{name} : {text}"), (0, 0, 0, 2)))
            if item.candidates:
                console.print(
                    Padding(
                        Text("même personne ? " + ", ".join(c.reference for c in item.candidates)),
                        (0, 0, 0, 2),
                    )
                )
        items = []
    table = Table(title=f"Demandes à trier : {len(items)}", show_lines=False)
    table.add_column("référence", no_wrap=True)
    table.add_column("reçue le", no_wrap=True)
    for column in ("canal", "domaine", "recevabilité", "réorientation", "même personne ?"):
        table.add_column(column)
    for item in items:
        cells = []
        for kind in ("domain", "admissibility", "reorientation"):
            lab = item.label(kind)
            cells.append(f"{lab.code}\n{_confidence(lab.confidence, lab.to_check)}" if lab else "—")
        table.add_row(
            item.reference,
            paris_time(item.received_at).split(" à ")[0],
            item.channel,
            *cells,
            ", ".join(c.reference for c in item.candidates) or "",
        )
    if items:
        console.print(table)
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
    from triage.errors import DossierError
    from triage.store.audit import Actor
    from triage.workspace.common import find_dossier, latest_suggestion
    from triage.workspace.review import Labels, confirm
    from triage.workspace.review import accept as accept_suggestion

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
    from triage.workspace.deadlines import queue_digest

    rt = open_runtime(config)
    with rt.sessions.begin() as session:
        items = queue_digest(session, rt.settings, rt.secret)
        sent_to = len(items)
    console.print(
        f"Récapitulatif du jour mis en envoi pour {sent_to} destinataire(s) "
        "(`mediature outbox flush` ou le worker l'envoient)."
    )
