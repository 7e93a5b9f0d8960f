"""Settings: loaded once from a TOML file, then the environment, then defaults; validated and typed.

Precedence, highest first:
1. the named environment variables (``MEDIATURE_DATABASE_URL``, ``MEDIATURE_HOME``,
   ``MEDIATURE_MAILBOX_URL``, ``MEDIATURE_SMTP_URL``, ``MEDIATURE_PUBLIC_URL``,
   ``MEDIATURE_SECRET_KEY``);
2. generic overrides ``MEDIATURE_<SECTION>__<FIELD>`` (for example ``MEDIATURE_SCANS__SETTLE_SECONDS=5``);
3. the TOML file given with ``--config`` (or ``MEDIATURE_CONFIG``);
4. the defaults below.

Every field carries a description; ``docs/CONFIGURATION.md`` is generated from them
(``mediature config doc``) and a test fails when it is out of date.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from triage.errors import ConfigError

ENV_PREFIX = "MEDIATURE_"
NAMED_ENV = {
    "MEDIATURE_DATABASE_URL": ("database", "url"),
    "MEDIATURE_HOME": ("paths", "home"),
    "MEDIATURE_MAILBOX_URL": ("mailbox", "url"),
    "MEDIATURE_SMTP_URL": ("smtp", "url"),
    "MEDIATURE_PUBLIC_URL": ("web", "public_url"),
    "MEDIATURE_SECRET_KEY": ("security", "secret_key"),
}


def default_home() -> Path:
    """Where the embedded default keeps its data when MEDIATURE_HOME is not set."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mediature"


class Section(BaseModel):
    """A settings section: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class PathsSettings(Section):
    home: Path = Field(
        default_factory=default_home,
        description="Dossier de données de l'installation embarquée : base SQLite, boîte d'envoi locale, "
        "file d'impression, dossier de dépôt des scans, quarantaine, pièces jointes. "
        "Variable d'environnement : MEDIATURE_HOME.",
    )

    def sub(self, name: str) -> Path:
        """A sub-folder of the home, created on demand."""
        from triage.files import private_dir

        return private_dir(self.home / name)


class DatabaseSettings(Section):
    url: str = Field(
        "",
        description="URL SQLAlchemy de la base (ex. postgresql+psycopg://mediature@127.0.0.1/mediature). "
        "Vide : SQLite dans <home>/mediature.sqlite3. Variable : MEDIATURE_DATABASE_URL.",
    )
    echo: bool = Field(False, description="Journalise les requêtes SQL (débogage uniquement).")


class SecuritySettings(Section):
    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Clé secrète (HMAC des Message-ID sortants, jetons CSRF). Vide : une clé aléatoire est "
        "créée au premier lancement dans <home>/secret.key (droits 0600). Variable : MEDIATURE_SECRET_KEY.",
    )


class MailboxSettings(Section):
    url: str = Field(
        "",
        description="Boîte de la médiation, au format URL : imap+ssl://user:motdepasse@hote:993/INBOX, "
        "imap+starttls://…:143/INBOX, imap://… (boucle locale de test), maildir:///chemin/Maildir. "
        "Identifiant et mot de passe encodés en pourcent. Vide : pas de relève. Variable : MEDIATURE_MAILBOX_URL.",
    )
    processed_action: Literal["move", "flag", "none"] = Field(
        "move",
        description="Après validation de la transaction d'un message : le déplacer (move) vers "
        "processed_folder, lui poser le drapeau processed_flag (flag), ou ne rien faire (none).",
    )
    processed_folder: str = Field(
        "INBOX.Traites", description="Dossier IMAP de destination des messages traités."
    )
    processed_flag: str = Field(
        "$MediatureProcessed", description="Mot-clé IMAP posé quand processed_action = flag."
    )
    poll_seconds: float = Field(
        60.0, description="Intervalle de relève quand le serveur n'offre pas IDLE.", gt=0
    )
    idle_seconds: float = Field(
        300.0, description="Durée maximale d'une attente IDLE avant de la renouveler.", gt=0
    )
    batch_size: int = Field(50, description="Nombre de messages récupérés par lot.", gt=0)
    max_message_bytes: int = Field(
        25 * 1024 * 1024,
        description="Taille maximale d'un message ; au-delà il reste sur le serveur et est signalé.",
        gt=0,
    )
    timeout_seconds: float = Field(30.0, description="Délai réseau des opérations IMAP.", gt=0)
    backoff_max_seconds: float = Field(300.0, description="Attente maximale entre deux reconnexions.", gt=0)


class ParsingSettings(Section):
    max_attachment_bytes: int = Field(
        15 * 1024 * 1024,
        description="Taille maximale d'une pièce jointe conservée ; au-delà elle est notée mais pas stockée.",
        gt=0,
    )
    webform_senders: list[str] = Field(
        default_factory=lambda: ["ne-pas-repondre@isere.example"],
        description="Adresses complètes d'expédition du formulaire web du Département : seuls leurs courriels "
        "sont lus comme des formulaires (l'usager est alors l'adresse Reply-To ou le champ Courriel). Un "
        "message qui ressemble à un formulaire venant d'une autre adresse est mis de côté pour la médiatrice.",
    )
    webform_subject_pattern: str = Field(
        r"(?i)^\[Formulaire médiation\]",
        description="Expression régulière sur l'objet des courriels du formulaire web.",
    )
    own_addresses: list[str] = Field(
        default_factory=lambda: ["mediation@isere.example"],
        description="Adresses de la médiation (jamais de message automatique vers elles).",
    )
    trusted_authserv_ids: list[str] = Field(
        default_factory=list,
        description="Identifiants (authserv-id, ex. mx.isere.fr) des en-têtes Authentication-Results posés par "
        "notre serveur de réception. Renseignés : un formulaire n'est lu comme tel qu'avec un SPF, DKIM ou DMARC "
        "réussi pour son expéditeur, et seuls ces en-têtes comptent. Vide : seul l'en-tête le plus haut est lu, "
        "et uniquement pour ses échecs.",
    )
    spam_verdict_headers: list[str] = Field(
        default_factory=lambda: ["X-Spam-Flag", "X-Spam-Status", "X-Rspamd-Action", "X-Spamd-Result"],
        description="En-têtes de verdict anti-spam du serveur de réception à respecter (SpamAssassin, rspamd). "
        "Un message classé indésirable n'est jamais accusé automatiquement : il va dans la liste « courrier "
        "indésirable probable ». Liste vide : verdicts ignorés.",
    )
    rspamd_spam_actions: list[str] = Field(
        default_factory=lambda: ["reject", "soft reject", "rewrite subject", "add header"],
        description="Actions rspamd (X-Rspamd-Action) qui valent verdict « indésirable ».",
    )
    max_mime_parts: int = Field(
        500,
        description="Nombre maximal de parties MIME d'un message ; au-delà il est mis en quarantaine (octets "
        "bruts conservés).",
        gt=0,
    )
    max_mime_depth: int = Field(
        20,
        description="Profondeur maximale d'imbrication MIME ; au-delà le message est mis en quarantaine.",
        gt=0,
    )


class ScansSettings(Section):
    drop_folder: Path | None = Field(
        None, description="Dossier de dépôt surveillé des courriers numérisés. Vide : <home>/scans/depot."
    )
    settle_seconds: float = Field(
        3.0,
        description="Un fichier n'est pris qu'après être resté inchangé (taille et date) pendant ce délai.",
        ge=0,
    )
    ocr_language: str = Field("fra", description="Langue(s) Tesseract, ex. fra ou fra+eng.")
    max_file_bytes: int = Field(50 * 1024 * 1024, description="Taille maximale d'un fichier numérisé.", gt=0)
    transcription_check_below: float = Field(
        70.0,
        description="Une page lue par OCR dont la confiance moyenne de Tesseract (0 à 100) est sous ce seuil "
        "(écriture manuscrite, numérisation pâle) est marquée « transcription à vérifier » jusqu'à ce qu'une "
        "personne relise et corrige son texte. 0 : jamais.",
        ge=0,
        le=100,
    )


class TriageSettings(Section):
    rules_dir: Path = Field(Path("rules"), description="Dossier des règles YAML de tri.")
    taxonomy_file: Path | None = Field(
        None,
        description="Fichier YAML de taxonomie (domaines, recevabilité, réorientations). Vide : défaut livré.",
    )
    reorientation_file: Path | None = Field(
        None,
        description="Annuaire YAML des réorientations (nom, adresse, téléphone, site de chaque organisme). "
        "Vide : annuaire livré pour l'Isère, à vérifier localement.",
    )
    bodies_file: Path | None = Field(
        None,
        description="Annuaire YAML des organismes (noms, sigles, mots de contexte) qui sert à savoir qui est en "
        "cause dans une demande. Vide : annuaire livré (triage/defaults/organismes.yaml).",
    )
    model_dir: Path = Field(Path("models"), description="Dossier des modèles entraînés.")
    confidence_threshold: float = Field(
        0.6,
        description="En dessous de cette confiance, une étiquette est marquée « à vérifier » quand le modèle "
        "n'apporte pas ses propres seuils calibrés (sans modèle, ou modèle entraîné sans validation croisée).",
        ge=0,
        le=1,
    )
    corpus_dir: Path = Field(Path("data/samples/corpus"), description="Corpus d'entraînement étiqueté.")
    extra_corpus_dirs: list[Path] = Field(
        [Path("data/samples/heldout")],
        description="Autres dossiers de lettres étiquetées ajoutés à l'entraînement et à la validation croisée.",
    )
    heldout_dir: Path = Field(
        Path("data/samples/heldout-writers"),
        description="Lettres d'auteurs tenus à l'écart : jamais apprises, seulement évaluées par "
        "« mediature evaluate » (ignoré si le dossier n'existe pas).",
    )


class SmtpSettings(Section):
    url: str = Field(
        "",
        description="Serveur d'envoi : smtp+ssl://user:motdepasse@hote:465, smtp+starttls://…:587, "
        "smtp://hote:port (boucle locale). Vide : les messages sont écrits en .eml dans <home>/outbox. "
        "Variable : MEDIATURE_SMTP_URL.",
    )
    from_address: str = Field("mediation@isere.example", description="Adresse d'expédition des messages.")
    from_name: str = Field("Médiation départementale de l'Isère", description="Nom d'expéditeur affiché.")
    max_attempts: int = Field(12, description="Nombre maximal de tentatives d'envoi d'un message.", gt=0)
    backoff_base_seconds: float = Field(
        30.0, description="Premier délai avant nouvelle tentative (doublé ensuite).", gt=0
    )
    backoff_max_seconds: float = Field(3600.0, description="Délai maximal entre deux tentatives.", gt=0)
    max_auto_per_address_per_day: int = Field(
        3, description="Nombre maximal de messages automatiques par adresse et par jour.", ge=0
    )
    timeout_seconds: float = Field(30.0, description="Délai réseau SMTP.", gt=0)
    loop_token: str = Field(
        "mediature-isere",
        description="Valeur de l'en-tête X-Loop de nos messages automatiques ; un message entrant qui la "
        "porte ne reçoit jamais de réponse automatique.",
    )
    hard_bounce_days: int = Field(
        90,
        description="Pendant ce nombre de jours après un rejet définitif, plus de message automatique.",
        ge=0,
    )


class WebSettings(Section):
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Adresse publique de base des liens de suivi. Variable : MEDIATURE_PUBLIC_URL.",
    )
    host: str = Field("127.0.0.1", description="Adresse d'écoute de `mediature serve`.")
    port: int = Field(8000, description="Port d'écoute de `mediature serve`.", gt=0, lt=65536)
    secure_cookies: bool = Field(
        True, description="Cookies marqués Secure (à laisser vrai en production derrière HTTPS)."
    )
    session_idle_minutes: int = Field(
        120, description="Une session de l'espace médiation expire après ce temps sans activité.", gt=0
    )
    undo_minutes: int = Field(
        10,
        description="Pendant ce nombre de minutes, « Annuler » reprend un classement sans suite ou un "
        "rattachement fait depuis la file de tri.",
        gt=0,
    )
    session_max_hours: int = Field(
        12, description="Durée maximale d'une session de l'espace médiation, même active.", gt=0
    )
    login_max_failures: int = Field(
        5,
        description="Nombre d'échecs de connexion pour un même compte depuis une même adresse avant que ce "
        "couple (compte, adresse) soit mis en attente. Le compte reste utilisable depuis les autres adresses.",
        gt=0,
    )
    login_lockout_minutes: int = Field(
        15,
        description="Durée de l'attente d'un couple (compte, adresse) après trop d'échecs de connexion.",
        gt=0,
    )
    login_max_delay_seconds: float = Field(
        8.0,
        description="Au-delà de login_max_failures échecs d'affilée sur un compte (toutes adresses confondues), "
        "chaque nouvel essai est ralenti (1 s, 2 s, 4 s…) jusqu'à ce délai ; jamais de blocage du compte.",
        ge=0,
    )
    max_form_bytes: int = Field(
        1024 * 1024,
        description="Taille maximale du corps d'une requête de l'espace de la médiation (formulaires), comptée "
        "pendant la réception, envois fragmentés compris ; au-delà : 413. Les formulaires publics (suivi, "
        "connexion) sont limités à 16 Kio.",
        gt=0,
    )
    max_upload_bytes: int = Field(
        100 * 1024 * 1024,
        description="Taille maximale d'un envoi de courriers numérisés (/courrier/numerisations), tous fichiers "
        "compris ; chaque fichier reste limité par scans.max_file_bytes. Lue seulement après vérification de "
        "la session et du rôle.",
        gt=0,
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Adresses (ou réseaux, ex. 10.0.0.0/24) des serveurs frontaux HTTPS dont on croit les en-têtes "
        "X-Forwarded-For et X-Forwarded-Proto. Vide : ces en-têtes sont ignorés et l'adresse du client est celle "
        'de la connexion. Mettre l\'adresse du serveur frontal (ex. ["127.0.0.1"]) quand il y en a un.',
    )
    tracking_code_max_failures: int = Field(
        10,
        description="Nombre de codes de suivi erronés pour un même dossier avant que la recherche par code de ce "
        "dossier soit suspendue (le lien de suivi reste valable).",
        gt=0,
    )
    tracking_code_lockout_minutes: int = Field(
        60,
        description="Durée de la suspension de la recherche par code d'un dossier après trop d'échecs.",
        gt=0,
    )


class DeadlinesSettings(Section):
    """Deadlines of the mediation process shown on the queue page and in the daily digest."""

    service_answer_days: int = Field(
        15,
        description="Délai de réponse des services départementaux sollicités (art. 15 du règlement).",
        gt=0,
    )
    first_contact_days: int = Field(
        10,
        description="Une demande sans premier contact de la médiatrice depuis ce nombre de jours est signalée "
        "(art. 7 : accusé de réception suivi d'un contact).",
        gt=0,
    )
    open_alert_months: int = Field(
        4, description="Un dossier ouvert depuis plus de ce nombre de mois est signalé.", gt=0
    )
    documents_days: int = Field(
        30, description="Délai proposé par défaut dans les demandes de pièces manquantes.", gt=0
    )
    requester_wait_days: int = Field(
        30,
        description="Dossier « en attente de la réponse de l'usager » : les échéances sont suspendues et un "
        "rappel est fixé à ce nombre de jours.",
        gt=0,
    )
    digest_to: list[str] = Field(
        default_factory=list,
        description="Destinataires du récapitulatif quotidien des échéances. Vide : les comptes médiateur "
        "actifs ayant un courriel, à défaut le courriel du service.",
    )


class CorrespondenceSettings(Section):
    """Free messages written from a dossier, and the answers that come back into it."""

    reply_plus_address: bool = Field(
        False,
        description="Adresse de réponse signée : chaque message envoyé porte un Reply-To de la forme "
        "« mediation+<jeton>@… » (sous-adressage) qui rattache la réponse au dossier. Le serveur de "
        "messagerie doit livrer ces adresses dans la boîte relevée.",
    )
    reply_address: str = Field(
        "",
        description="Adresse de base du sous-adressage (vide : le courriel du service). Le jeton est ajouté "
        "après un « + » dans la partie locale.",
    )
    max_attachment_bytes: int = Field(
        10 * 1024 * 1024,
        description="Taille maximale totale des pièces jointes d'un message envoyé depuis un dossier.",
        gt=0,
    )
    assign_on_triage: bool = Field(
        True,
        description="Un dossier trié (suggestion acceptée ou corrigée) par une médiatrice lui est attribué "
        "s'il ne l'était pas encore.",
    )
    notify_assignee: bool = Field(
        True,
        description="Prévenir par courriel la personne chargée d'un dossier quand il lui est attribué, ou "
        "quand l'usager ou un service y écrit.",
    )


class ServiceSettings(Section):
    """Who the citizen deals with: printed on acknowledgements, letters and tracking pages."""

    organisation: str = Field("Département de l'Isère", description="Collectivité.")
    name: str = Field("Mission de médiation départementale", description="Désignation du service.")
    mediator_title: str = Field(
        "La Médiatrice départementale", description="Titre du médiateur, pour les signatures."
    )
    address_lines: list[str] = Field(
        default_factory=lambda: ["7, rue Fantin Latour", "CS 41096", "38022 Grenoble Cedex 1"],
        description="Adresse postale du service, une ligne par élément.",
    )
    email: str = Field("mediation@isere.example", description="Courriel du service.")
    phone: str = Field("04 76 00 38 38", description="Téléphone du service.")
    hours: str = Field(
        "du lundi au vendredi, de 9 h à 12 h et de 14 h à 17 h",
        description="Horaires d'accueil téléphonique.",
    )
    website: str = Field("https://www.isere.fr/mission-mediation", description="Page web de la médiation.")
    reference_prefix: str = Field("MED", description="Préfixe des références de dossier (MED-2026-00042).")


class PrivacySettings(Section):
    controller: str = Field(
        "Département de l'Isère, représenté par le Président du Conseil départemental",
        description="Responsable du traitement des données personnelles.",
    )
    dpo_contact: str = Field(
        "Délégué à la protection des données, Département de l'Isère, 7 rue Fantin Latour, CS 41096, "
        "38022 Grenoble Cedex 1 — dpd@isere.example",
        description="Contact du délégué à la protection des données.",
    )
    legal_basis: str = Field(
        "mission d'intérêt public (article 6.1.e du RGPD) ; article L1112-24 du CGCT",
        description="Base légale du traitement.",
    )
    purpose: str = Field(
        "traiter votre demande de médiation, vous tenir informé(e) de son avancement et établir des "
        "statistiques anonymes pour le rapport annuel",
        description="Finalité du traitement annoncée aux usagers.",
    )


class RetentionSettings(Section):
    """How long personal data is kept; `mediature retention run` (and the worker, daily) enforces it."""

    closed_dossier_years: int = Field(
        5,
        description="Un dossier clôturé est anonymisé ce nombre d'années après sa clôture : noms, coordonnées, "
        "textes, pièces jointes, scans et données extraites sont effacés ; domaine, territoire, dates, canal, "
        "issue et préconisations restent pour les statistiques. Cette durée est annoncée dans l'accusé de réception.",
        gt=0,
    )
    not_request_days: int = Field(
        180,
        description="Les messages qui ne sont pas des demandes et ne sont rattachés à aucun dossier (absences, "
        "rebonds, listes, messages mis de côté écartés) sont supprimés ce nombre de jours après leur réception.",
        gt=0,
    )
    quarantine_days: int = Field(
        180,
        description="Les éléments en quarantaine et les scans rejetés sont supprimés ce nombre de jours après "
        "leur arrivée.",
        gt=0,
    )
    outbox_days: int = Field(
        90,
        description="Les copies des messages envoyés (boîte d'envoi, fichiers .eml de <home>/outbox) et des "
        "courriers imprimés sont supprimées ce nombre de jours après leur envoi ou leur export.",
        gt=0,
    )
    log_days: int = Field(
        180,
        description="Les fichiers de journal de <home>/logs sont supprimés ce nombre de jours après leur "
        "dernière écriture.",
        gt=0,
    )
    audit_days: int = Field(
        365,
        description="Les entrées du journal d'audit (consultations et modifications) sont supprimées après ce "
        "nombre de jours.",
        gt=0,
    )
    web_session_days: int = Field(
        7,
        description="Les sessions de l'espace médiation expirées sont supprimées après ce nombre de jours.",
        gt=0,
    )
    notice_days: int = Field(
        30,
        description="Horizon de la liste des dossiers qui seront anonymisés prochainement (espace médiation, "
        "`mediature retention list`), pour prolonger à temps ceux qui doivent l'être.",
        gt=0,
    )

    def sentence(self) -> str:
        """The retention sentence of the acknowledgement, from the durations above (French)."""
        return (
            f"{self.closed_dossier_years} ans après la clôture du dossier, puis anonymisation "
            "(seules des données statistiques sans nom ni coordonnées sont gardées)"
        )


class ReportSettings(Section):
    territories_file: Path | None = Field(
        None,
        description="Table CSV des territoires du Département et de leur population (colonnes territoire, "
        "population, communes ; lignes « # » ignorées), pour les demandes pour 10 000 habitants. "
        "Vide : la table de l'Isère livrée (triage/defaults/isere-territories.csv).",
    )
    small_cell_threshold: int = Field(
        5,
        description="Secret statistique du rapport : tout effectif de 1 à ce seuil moins un est masqué "
        "dans les tableaux publiés (« < 5 »), ainsi que les valeurs qui permettraient de le retrouver.",
        ge=2,
    )


SECTIONS: dict[str, type[Section]] = {
    "paths": PathsSettings,
    "database": DatabaseSettings,
    "security": SecuritySettings,
    "mailbox": MailboxSettings,
    "parsing": ParsingSettings,
    "scans": ScansSettings,
    "triage": TriageSettings,
    "smtp": SmtpSettings,
    "web": WebSettings,
    "deadlines": DeadlinesSettings,
    "correspondence": CorrespondenceSettings,
    "service": ServiceSettings,
    "privacy": PrivacySettings,
    "retention": RetentionSettings,
    "report": ReportSettings,
}


class Settings(BaseModel):
    """All settings of one Médiature installation."""

    model_config = ConfigDict(extra="forbid")

    paths: PathsSettings = Field(default_factory=PathsSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    mailbox: MailboxSettings = Field(default_factory=MailboxSettings)
    parsing: ParsingSettings = Field(default_factory=ParsingSettings)
    scans: ScansSettings = Field(default_factory=ScansSettings)
    triage: TriageSettings = Field(default_factory=TriageSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    deadlines: DeadlinesSettings = Field(default_factory=DeadlinesSettings)
    correspondence: CorrespondenceSettings = Field(default_factory=CorrespondenceSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)

    @property
    def database_url(self) -> str:
        """The effective SQLAlchemy URL (SQLite under the home when none is configured)."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.paths.home / 'mediature.sqlite3'}"

    @property
    def scan_drop_folder(self) -> Path:
        """The effective scan drop folder."""
        return self.scans.drop_folder or self.paths.home / "scans" / "depot"

    def secret(self) -> bytes:
        """The installation's secret key, created under the home on first use when not configured."""
        value = self.security.secret_key.get_secret_value()
        if value:
            return value.encode()
        key_file = self.paths.home / "secret.key"
        if not key_file.exists():
            import secrets

            from triage.files import private_dir

            private_dir(self.paths.home)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return key_file.read_text().strip().encode()


def _set_path(data: dict[str, Any], section: str, field: str, value: Any) -> None:
    data.setdefault(section, {})[field] = value


def load_settings(
    config_file: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the TOML file (if any), apply environment overrides, validate; raise ConfigError with the cause."""
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    path = config_file or env.get("MEDIATURE_CONFIG")
    if path:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise ConfigError(f"fichier de configuration introuvable : {path}") from err
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path} : TOML invalide ({err})") from err
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX) or "__" not in key:
            continue
        section, _, field = key[len(ENV_PREFIX) :].lower().partition("__")
        if section in SECTIONS:
            _set_path(data, section, field, value)
    for name, (section, field) in NAMED_ENV.items():
        if env.get(name):
            _set_path(data, section, field, env[name])
    try:
        return Settings.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])} : {e['msg']}" for e in err.errors())
        raise ConfigError(f"configuration invalide{f' ({path})' if path else ''} : {problems}") from err


def settings_documentation() -> str:
    """Markdown table of every setting, generated from the field descriptions."""
    lines = [
        "# Configuration de Médiature",
        "",
        "Généré par `mediature config doc` à partir des descriptions des réglages ; ne pas modifier à la main.",
        "",
        "Ordre de priorité : variables nommées (`MEDIATURE_DATABASE_URL`, `MEDIATURE_HOME`, "
        "`MEDIATURE_MAILBOX_URL`, `MEDIATURE_SMTP_URL`, `MEDIATURE_PUBLIC_URL`, `MEDIATURE_SECRET_KEY`), puis "
        "`MEDIATURE_<SECTION>__<CHAMP>`, puis le fichier TOML passé par `--config` (ou `MEDIATURE_CONFIG`), "
        "puis les valeurs par défaut.",
        "",
    ]
    for section, model in SECTIONS.items():
        lines += [f"## [{section}]", "", "| réglage | défaut | description |", "| --- | --- | --- |"]
        for name, field in model.model_fields.items():
            if field.default_factory is not None:
                default = "(calculé)" if name == "home" else repr(field.default_factory())  # type: ignore[call-arg]
            else:
                default = repr(field.default)
            if isinstance(field.default, SecretStr):
                default = "(vide)"
            desc = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{section}.{name}` | `{default}` | {desc} |")
        lines.append("")
    return "\n".join(lines)
