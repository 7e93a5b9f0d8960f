#!/usr/bin/env python3
"""Generate data/samples/scans/: scanned paper letters sent to the mediation service.

Each letter is written individually below, typeset with the DejaVu fonts on an A4 page,
then run through a small "scanner" model: paper tone with low-frequency variation, a
visible paper edge, skew, slight blur, sensor noise, dust specks and JPEG artefacts.
One letter is a born-digital PDF with a real text layer (a lawyer's letter), untouched.

Deterministic: every random draw comes from a seeded generator and every PDF has a fixed
creation date, so re-running rewrites byte-identical files.

    /work/main/.venv/bin/python data/samples/tools/make_scans.py
"""
from __future__ import annotations

import datetime as dt
import io
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "scans"
FONTS = Path("/usr/share/fonts/truetype/dejavu")
MAX_FILE = 1_500_000

MEDIATION_BLOCK = [
    "Département de l'Isère",
    "Médiation départementale",
    "Hôtel du Département",
    "CS 00000",
    "38022 Grenoble Cedex 1",
]


# =========================================================================== the letters

@dataclass
class Letter:
    sender: list[str]
    place_date: str
    objet: str
    body: list[str]                 # paragraphs; "\f" forces a page break
    signature: str
    recipient: list[str] = field(default_factory=lambda: list(MEDIATION_BLOCK))
    refs: list[str] = field(default_factory=list)
    pj: list[str] = field(default_factory=list)
    font: str = "DejaVuSerif"
    bold: str = "DejaVuSerif-Bold"
    size_pt: float = 11.0
    justify: bool = True
    leading: float = 1.42


CMI = Letter(
    sender=["Françoise Meunier", "8 rue du Néron", "38120 Saint-Égrève", "Tél. : 06 39 98 31 52",
            "Courriel : francoise.meunier@laposte.example"],
    place_date="Saint-Égrève, le 12 octobre 2026",
    objet="Refus de la carte mobilité inclusion mention stationnement — demande de médiation",
    refs=["Réf. dossier MDA : 2026-104518"],
    body=[
        "Madame la Médiatrice,",
        "Atteinte d'une sclérose en plaques diagnostiquée en 2019, j'ai sollicité en février 2026 la carte mobilité "
        "inclusion avec les mentions « priorité » et « stationnement ». Par décision du 5 mai 2026, seule la mention "
        "« priorité » m'a été accordée ; la mention stationnement m'a été refusée.",
        "Mes difficultés de marche varient selon les périodes, mais lors des poussées je ne peux pas parcourir plus de "
        "cent mètres, comme l'attestent les certificats de mon neurologue joints au dossier. La décision ne semble pas "
        "en avoir tenu compte.",
        "J'ai formé un recours administratif préalable obligatoire le 24 juin 2026, par lettre recommandée avec "
        "accusé de réception. Je n'ai reçu à ce jour aucune réponse de la Maison de l'autonomie, malgré une relance "
        "téléphonique le 15 septembre.",
        "Je vous serais reconnaissante de bien vouloir intervenir afin que mon recours soit examiné et que ma "
        "situation fasse l'objet d'une nouvelle évaluation. Vous pouvez me répondre par courriel.",
        "Je vous prie d'agréer, Madame la Médiatrice, l'expression de mes salutations distinguées.",
    ],
    signature="Françoise Meunier",
    pj=["P.J. : décision du 5 mai 2026 ; recours du 24 juin 2026 et accusé de réception postal."],
)

EHPAD = Letter(
    sender=["André Chapuis", "17 rue de la Liberté", "38300 Bourgoin-Jallieu", "Tél. 04 65 71 66 20"],
    place_date="Bourgoin-Jallieu, le 19 octobre 2026",
    objet="Facture de l'EHPAD « Les Balcons du Dauphiné » — réclamation",
    body=[
        "Madame, Monsieur,",
        "Mon épouse, Mme Jeanne Chapuis, 87 ans, réside depuis janvier 2025 à l'EHPAD « Les Balcons du Dauphiné » "
        "à La Tour-du-Pin.",
        "Depuis le mois de juin, les factures mensuelles comportent des lignes que je ne comprends pas : un « forfait "
        "blanchissage » de 95 € par mois alors que je lave moi-même le linge de mon épouse, et un tarif dépendance "
        "passé de 6,12 € à 9,87 € par jour sans aucune explication. La facture de septembre s'élève à 2 947,30 €, "
        "soit plus que nos deux retraites réunies.",
        "J'ai demandé des explications par écrit à la direction de l'établissement le 8 juillet et le 26 août. On m'a "
        "répondu de vive voix que les tarifs étaient « fixés par le Département ». J'ai donc écrit au Département le "
        "10 septembre, sans obtenir de réponse.",
        "Je souhaite simplement comprendre ce qui m'est facturé et que les sommes indues soient remboursées. Je joins "
        "la copie des factures de mai à septembre. Je n'ai pas d'ordinateur : merci de me répondre par courrier ou "
        "par téléphone.",
        "Veuillez agréer, Madame, Monsieur, mes salutations respectueuses.",
    ],
    signature="André Chapuis",
    font="DejaVuSans", bold="DejaVuSans-Bold", size_pt=10.5,
)

ASE = Letter(
    sender=["Mickaël Garcia", "5 rue de la Charité", "38200 Vienne", "Tél. : 06 39 98 45 07",
            "mickael.garcia@free.example"],
    place_date="Vienne, le 21 octobre 2026",
    objet="Visites à ma fille Maëlys, confiée à l'ASE — demande de médiation",
    body=[
        "Madame, Monsieur,",
        "Ma fille Maëlys, 7 ans, est confiée à l'Aide sociale à l'enfance depuis mars 2025 et vit chez une assistante "
        "familiale à Roussillon. Le juge des enfants m'a accordé un droit de visite d'une demi-journée tous les quinze "
        "jours, en présence d'un tiers.",
        "En juillet, j'ai manqué une visite à cause d'une panne de voiture ; j'avais prévenu le service le matin même. "
        "Depuis, les visites ont été réduites à une heure par mois dans les locaux de la Maison du Département, au "
        "motif de mon « manque d'investissement ». Cette décision ne m'a jamais été notifiée par écrit.",
        "J'ai demandé un rendez-vous à la responsable du service enfance par courrier le 2 août, puis par courriel le "
        "9 septembre. Je n'ai reçu aucune réponse. Ma fille demande à me voir plus souvent, son assistante familiale "
        "me l'a confirmé.",
        "Je ne remets pas en cause le placement. Je souhaite seulement que le rythme de visites fixé par le juge soit "
        "respecté et pouvoir de nouveau échanger avec le service.",
        "Dans l'attente de votre réponse, je vous prie d'agréer mes salutations distinguées.",
    ],
    signature="Mickaël Garcia",
    font="DejaVuSans", bold="DejaVuSans-Bold", size_pt=10.5,
)

RSA = Letter(
    sender=["Marcel Vitoz", "12 chemin des Granges", "38270 Beaurepaire", "tel 04 65 71 52 38"],
    place_date="Beaurepaire le 23 octobre 2026",
    objet="l'indu du RSA",
    recipient=["Monsieur le mediateur", "Departement de l'Isere", "Hotel du Departement", "38022 Grenoble"],
    body=[
        "Madame Monsieur",
        "Je vous écrit parceque je comprend pas la lettre que j'ai reçu du departement pour le RSA. Ils disent que je "
        "doit rembourser 2130 euro parceque j'ai pas declarer la pension de ma defunte femme. Mais ma femme est "
        "décédé en 2024 et sa pension de reversion je l'ai toujour pas touché, la caisse de retraite ma dit que le "
        "dossier est en cours depuis un an.",
        "J'ai 63 ans, j'ai travailler 40 ans dans la maçonerie et je suis au RSA depuis que l'entreprise a fermer. "
        "J'ai apeler le numero qui est sur la lettre plusieur fois, sa sonne dans le vide. Je suis aller a la Maison "
        "du Departement, la dame m'a dit d'ecrire, j'ai ecrit le 15 juillet et personne ma repondu.",
        "Maintenant ils me retire 120 euro tout les mois sur le RSA et j'arrive plus a payer le fioul pour l'hiver.",
        "Je vous demande de m'aider a comprendre et de faire arreter sa.",
        "Merci d'avance",
    ],
    signature="Marcel Vitoz",
    font="DejaVuSans", bold="DejaVuSans", size_pt=12, justify=False, leading=1.45,
)

FSL = Letter(
    sender=["Nadia Boukhari", "21 rue Jean-Moulin, bât. B", "38400 Saint-Martin-d'Hères", "Tél. 06 39 98 68 14",
            "nadia.boukhari@sfr.example"],
    place_date="Saint-Martin-d'Hères, le 26 octobre 2026",
    objet="Refus d'aide du FSL pour ma dette d'énergie — demande de médiation",
    refs=["N° de dossier FSL : FSL-E-2026-03317"],
    body=[
        "Madame, Monsieur,",
        "Je me permets de solliciter votre intervention au sujet de ma demande d'aide du Fonds de solidarité logement "
        "pour une dette de gaz et d'électricité.",
        "Je suis mère seule de trois enfants de 3, 8 et 12 ans. Après une séparation difficile en 2025, j'ai dû "
        "assumer seule toutes les charges du logement. Pendant l'hiver dernier, mes factures d'énergie ont fortement "
        "augmenté (chauffage électrique dans un logement mal isolé) et j'ai accumulé une dette de 1 890,45 € auprès de "
        "mon fournisseur.",
        "Avec l'aide de l'assistante sociale de secteur, j'ai déposé une demande d'aide FSL énergie le 3 avril 2026. "
        "Elle a été rejetée le 22 mai 2026 au motif que « le montant de la dette excède le plafond d'intervention ». "
        "Or, selon l'assistante sociale, une aide partielle aurait pu être accordée, complétée par un échéancier avec "
        "le fournisseur, qui y était favorable.",
        "J'ai formé un recours gracieux le 10 juin 2026, accompagné d'une lettre du fournisseur acceptant un plan "
        "d'apurement pour la part restante. Plus de quatre mois après, je n'ai reçu aucune réponse, malgré deux "
        "relances, le 18 juillet et le 15 septembre.",
        "Entre-temps, mon fournisseur a réduit la puissance de mon compteur et m'a informée qu'en l'absence de "
        "solution, le contrat serait résilié à la fin de la trêve hivernale. Mes enfants vivent dans un appartement "
        "où l'on ne peut pas chauffer plus d'une pièce à la fois.",
        "\f",
        "Je précise que je règle régulièrement mes factures courantes depuis le mois de mai, grâce à un travail à "
        "temps partiel comme agent d'entretien (940 € par mois, auxquels s'ajoutent les prestations familiales). Je "
        "ne demande pas que toute la dette soit effacée, mais qu'une aide partielle soit examinée afin que je puisse "
        "tenir le plan proposé par le fournisseur.",
        "Je vous remercie de bien vouloir examiner ma situation et, si possible, de contacter le service du FSL afin "
        "que mon recours reçoive enfin une réponse. Vous pouvez me joindre par téléphone en fin de journée ou par "
        "courriel.",
        "Veuillez agréer, Madame, Monsieur, l'expression de mes sincères salutations.",
    ],
    signature="Nadia Boukhari",
    pj=["Pièces jointes :", "– décision de rejet du 22 mai 2026 ;", "– recours gracieux du 10 juin 2026 et relances ;",
        "– courrier du fournisseur du 2 juin 2026 ;", "– dernières factures d'énergie."],
)

RD1085 = Letter(
    sender=["Jacques Perrotin", "9 allée des Peupliers", "38220 Vizille", "Tél. 06 39 98 93 26"],
    place_date="Vizille, le 28 octobre 2026",
    objet="Dommages causés à mon véhicule sur la RD 1085 — contestation du refus d'indemnisation",
    refs=["Vos réf. : STR-2026-0457"],
    body=[
        "Madame la Médiatrice,",
        "Le 14 août 2026, vers 21 h 15, je circulais au volant de mon véhicule (Renault Clio immatriculée AB-123-CD) "
        "sur la RD 1085, dans la montée entre Vizille et Laffrey. Au niveau du virage situé environ 300 mètres après "
        "le pont, ma roue avant droite est tombée dans une profonde excavation de la chaussée, invisible à la tombée "
        "de la nuit. Le pneu a éclaté, la jante a été déformée et le bras de suspension a été endommagé.",
        "Un automobiliste qui me suivait, M. Lionel Achard, s'est arrêté et a rédigé une attestation. J'ai pris des "
        "photographies du trou le soir même et le lendemain matin. Le garage a chiffré les réparations à 1 240,60 €.",
        "J'ai adressé le 20 août une demande d'indemnisation au service territorial des routes, avec les photos, "
        "la facture et l'attestation du témoin. Par courrier du 6 octobre, ma demande a été rejetée au motif que le "
        "trou « avait été signalé le 13 août et que sa réparation était programmée », de sorte qu'aucun défaut "
        "d'entretien normal ne pourrait être reproché au Département.",
        "\f",
        "Je conteste cette analyse. Si le danger était connu depuis la veille, il aurait dû au minimum être signalé "
        "aux usagers : or aucun panneau ni balisage n'était en place, ce que confirme l'attestation de M. Achard et ce "
        "que montrent mes photographies. La réparation n'est d'ailleurs intervenue que le 20 août, six jours après "
        "mon accident.",
        "Je suis retraité et cette dépense représente pour moi une somme importante. Je sollicite donc votre "
        "médiation afin que ma demande soit réexaminée. Je n'ai pas d'adresse électronique ; je reste joignable par "
        "téléphone ou par courrier.",
        "Je vous prie d'agréer, Madame la Médiatrice, l'expression de ma considération distinguée.",
    ],
    signature="Jacques Perrotin",
    pj=["Annexes :", "1. courrier de rejet du 6 octobre 2026 ;", "2. attestation de M. Lionel Achard ;",
        "3. photographies (4) ;", "4. facture du garage du 2 septembre 2026."],
    font="DejaVuSerif", bold="DejaVuSerif-Bold", size_pt=11.5,
)

SEJOUR = Letter(
    sender=["Ibrahima Diop", "11 rue des Bergers", "38100 Grenoble", "Tél. 06 39 98 80 57"],
    place_date="Grenoble, le 2 novembre 2026",
    objet="Demande d'aide — renouvellement de mon titre de séjour",
    body=[
        "Monsieur le Médiateur,",
        "Je suis en France depuis 2017 et je travaille comme cuisinier dans un restaurant de Grenoble, en CDI. Ma "
        "carte de séjour temporaire « salarié » a expiré le 15 septembre 2026. J'ai déposé ma demande de "
        "renouvellement sur internet en juillet, mais je n'ai jamais reçu d'attestation de prolongation "
        "d'instruction et je n'arrive pas à obtenir de rendez-vous à la préfecture.",
        "Sans ce document, la CAF a suspendu mes allocations et mon employeur m'a dit qu'il ne pourra plus me garder "
        "au-delà du 30 novembre. J'ai envoyé deux courriers à la préfecture, le 20 septembre et le 10 octobre, sans "
        "réponse.",
        "Je ne sais plus à qui m'adresser. Pouvez-vous m'aider ou intervenir auprès de la préfecture ?",
        "Je vous remercie par avance.",
    ],
    signature="Ibrahima Diop",
    font="DejaVuSans", bold="DejaVuSans-Bold", size_pt=11,
)

VOISIN = Letter(
    sender=["Chantal Rivière", "3 impasse des Vignes", "38460 Crémieu", "Tél. 06 39 98 15 76",
            "chantal.riviere@orange.example"],
    place_date="Crémieu, le 4 novembre 2026",
    objet="Trouble de voisinage — demande d'aide",
    body=[
        "Madame, Monsieur,",
        "Depuis le printemps, mes voisins ont installé une pompe à chaleur contre le mur mitoyen, juste sous la "
        "fenêtre de ma chambre. Elle fonctionne jour et nuit et le bruit m'empêche de dormir. Ils ont aussi construit "
        "un abri de jardin qui empiète de 40 cm sur mon terrain d'après le plan cadastral.",
        "J'ai tenté de discuter avec eux à plusieurs reprises, puis je leur ai adressé un courrier recommandé le "
        "12 septembre. Ils refusent toute discussion. La mairie m'a indiqué qu'elle ne pouvait pas intervenir dans un "
        "conflit entre particuliers.",
        "On m'a parlé du médiateur du Département. Pourriez-vous organiser une rencontre avec mes voisins afin de "
        "trouver une solution amiable ? Je souhaite éviter une procédure judiciaire coûteuse.",
        "Avec mes remerciements,",
    ],
    signature="Chantal Rivière",
    font="DejaVuSerif", bold="DejaVuSerif-Bold", size_pt=11,
)

AVOCAT_BODY = [
    "Madame la Médiatrice,",
    "J'interviens au soutien des intérêts de Mme Sophie Lacroix, demeurant 7 chemin des Buclos, 38240 Meylan, au "
    "sujet de la participation mise à sa charge au titre de l'obligation alimentaire envers son père, M. Georges "
    "Lacroix, hébergé depuis novembre 2025 à l'EHPAD « Les Terrasses » de Saint-Ismier et bénéficiaire de l'aide "
    "sociale à l'hébergement.",
    "Par décision du 16 juin 2026, le Président du Conseil départemental a fixé la participation de ma cliente à "
    "410 € par mois. Cette évaluation repose sur ses revenus de l'année 2024, alors que Mme Lacroix a été licenciée "
    "pour motif économique en janvier 2026 et perçoit depuis l'allocation d'aide au retour à l'emploi, soit une "
    "baisse de ressources de près de 45 %. Elle assume en outre seule la charge de deux enfants étudiants.",
    "Par ailleurs, la répartition retenue entre les trois enfants de M. Lacroix apparaît inéquitable : le frère de "
    "ma cliente, dont les revenus sont sensiblement supérieurs, se voit assigner une participation de 150 € "
    "seulement, ses charges ayant été retenues sur simple déclaration.",
    "Ma cliente a formé un recours gracieux le 8 juillet 2026. Il a été rejeté par courrier du 11 septembre 2026, "
    "sans examen des pièces nouvelles produites.",
    "Avant d'envisager la saisine du juge aux affaires familiales, Mme Lacroix souhaite privilégier une solution "
    "amiable. Je sollicite donc votre médiation afin qu'un réexamen de sa situation intervienne au vu de ses "
    "ressources actuelles. Aucune instance n'est à ce jour pendante.",
    "Je tiens l'ensemble des pièces justificatives à votre disposition et reste à votre disposition pour tout "
    "échange, de préférence par courriel à l'adresse du cabinet.",
    "Je vous prie de croire, Madame la Médiatrice, en l'assurance de ma considération distinguée.",
]


# =========================================================================== typesetting

def font(name: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / f"{name}.ttf"), px)


def mm(v: float, dpi: int) -> int:
    return round(v / 25.4 * dpi)


NBSP = "\u00a0"


def glue(text: str) -> str:
    """French typography: no line break before » : ; ? ! € % or inside 1 890,45 / after «."""
    import re
    text = re.sub(r"(\d) (?=\d{3}\b)", "\\1" + NBSP, text)
    text = re.sub(r" (?=[€»:;?!%])", NBSP, text)
    text = text.replace("« ", "«" + NBSP)
    text = re.sub(r"(\d) (?=h\b|cm\b|ans\b|mètres\b)", "\\1" + NBSP, text)
    return text


def wrap(draw, text, fnt, width):
    words, lines, cur = glue(text).split(" "), [], ""
    for w in words:
        trial = (cur + " " + w) if cur else w
        if draw.textlength(trial, font=fnt) <= width:
            cur = trial
        else:
            lines.append(cur)
            cur = w
    lines.append(cur)
    return lines


def signature_scribble(draw, x, y, w, h, seed, ink):
    """A quick pen flourish above the typed name (not meant to be read)."""
    r = random.Random(seed)
    loops = r.randint(4, 7)
    a = w / (2 * math.pi * loops) * r.uniform(1.2, 1.8)   # > pitch/2pi, so the stroke loops like cursive
    b = h * r.uniform(0.25, 0.38)
    slant = r.uniform(0.15, 0.35)
    pts = []
    n = 400
    for i in range(n):
        t = i / (n - 1)
        env = 1.0 if t < 0.15 else (1.0 - 0.6 * (t - 0.15))  # big first letter, then smaller
        ang = 2 * math.pi * loops * t
        yy = -b * env * math.cos(ang) * (1.5 if t < 0.15 else 1.0)
        px = x + t * w - a * math.sin(ang) + slant * (-yy)
        pts.append((px, y + h * 0.55 + yy))
    draw.line(pts, fill=ink, width=max(2, h // 16), joint="curve")
    draw.line([(x - w * 0.02, y + h * 0.95), (x + w * 1.02, y + h * 0.82)], fill=ink, width=max(2, h // 20))


def typeset(letter: Letter, dpi: int, seed: int) -> list[Image.Image]:
    W, H = mm(210, dpi), mm(297, dpi)
    px = round(letter.size_pt / 72 * dpi)
    f, fb = font(letter.font, px), font(letter.bold, px)
    lh = round(px * letter.leading)
    left, right, top, bottom = mm(25, dpi), mm(20, dpi), mm(20, dpi), mm(22, dpi)
    col2 = mm(112, dpi)
    ink = 22
    pages: list[Image.Image] = []

    def new_page():
        img = Image.new("L", (W, H), 255)
        pages.append(img)
        return img, ImageDraw.Draw(img)

    img, d = new_page()
    y = top
    for line in letter.sender:
        d.text((left, y), line, font=f, fill=ink)
        y += lh
    y = max(y + lh, mm(52, dpi))
    for line in letter.recipient:
        d.text((col2, y), line, font=f, fill=ink)
        y += lh
    y += lh
    d.text((col2, y), letter.place_date, font=f, fill=ink)
    y += 2 * lh
    for r in letter.refs:
        d.text((left, y), r, font=f, fill=ink)
        y += lh
    label = "Objet : "
    d.text((left, y), label, font=fb, fill=ink)
    lw = d.textlength(label, font=fb)
    for i, line in enumerate(wrap(d, letter.objet, fb, W - left - right - lw)):
        d.text((left + lw, y), line, font=fb, fill=ink)
        y += lh
    y += lh
    width = W - left - right
    page_no = 1
    for para in letter.body:
        if para == "\f" or y > H - bottom - lh:
            page_no += 1
            img, d = new_page()
            y = top
            hdr = f"{letter.signature} — {letter.place_date.split(',')[-1].strip()} — page {page_no}"
            d.text((left, y), hdr, font=font(letter.font, round(px * 0.8)), fill=90)
            y += 2 * lh
            if para == "\f":
                continue
        lines = wrap(d, para, f, width)
        for i, line in enumerate(lines):
            if y > H - bottom - lh:
                page_no += 1
                img, d = new_page()
                y = top
            last = i == len(lines) - 1
            words = line.split(" ")
            if letter.justify and not last and len(words) > 1:
                total = sum(d.textlength(w, font=f) for w in words)
                gap = (width - total) / (len(words) - 1)
                x = left
                for w in words:
                    d.text((x, y), w, font=f, fill=ink)
                    x += d.textlength(w, font=f) + gap
            else:
                d.text((left, y), line, font=f, fill=ink)
            y += lh
        y += round(lh * 0.55)
    # signature
    y += lh
    if y + 5 * lh > H - bottom:
        page_no += 1
        img, d = new_page()
        y = top + 2 * lh
    signature_scribble(d, col2 + mm(4, dpi), y, mm(45, dpi), round(lh * 2.2), seed, 60)
    y += round(lh * 2.6)
    d.text((col2, y), letter.signature, font=f, fill=ink)
    y += 2 * lh
    for line in letter.pj:
        small = font(letter.font, round(px * 0.9))
        d.text((left, y), line, font=small, fill=ink)
        y += round(lh * 0.95)
    return pages


# =========================================================================== the scanner

@dataclass
class Scanner:
    skew: float              # degrees, positive = counter-clockwise
    blur: float = 0.7
    noise: float = 2.5       # sigma of the sensor noise (grey levels)
    jpeg_q: int = 65         # JPEG round trip (artefacts), also the final quality for JPEG output
    tone: float = 240        # mean paper tone
    dust: int = 60           # number of dust specks
    rotate180: bool = False
    edge: str = "right"      # which side of the sheet shows the scanner lid
    quant: int = 6           # grey-level step for PNG/TIFF output (cheap scanner depth)


def scan(page: Image.Image, sc: Scanner, seed: int, dpi: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    W, H = page.size
    # paper tone with low-frequency variation (uneven lighting, paper fibres)
    low = rng.normal(0, 1, (H // 80 + 3, W // 80 + 3))
    low = np.asarray(Image.fromarray(((low + 4) * 30).clip(0, 255).astype("uint8")).resize((W, H), Image.BICUBIC), float)
    paper = sc.tone + (low - 120) * 0.06
    grad = np.linspace(-3, 3, W)[None, :]
    paper = paper + grad
    a = np.asarray(page, float) / 255.0 * paper
    # the sheet lies on a slightly larger, brighter lid area
    sheet = Image.fromarray(a.clip(0, 255).astype("uint8"))
    canvas = Image.new("L", (W, H), 250)
    m = mm(3, dpi)
    offset = {"right": (-m, m // 2), "left": (m, m // 2), "bottom": (m // 2, -m)}[sc.edge]
    canvas.paste(sheet, offset)
    d = ImageDraw.Draw(canvas)
    x0, y0 = offset
    d.rectangle([x0, y0, x0 + W - 1, y0 + H - 1], outline=185, width=2)
    img = canvas.rotate(sc.skew, resample=Image.BICUBIC, fillcolor=250)
    img = img.filter(ImageFilter.GaussianBlur(sc.blur))
    arr = np.asarray(img, float) + rng.normal(0, sc.noise, (H, W))
    # dust and specks
    for _ in range(sc.dust):
        y, x = int(rng.integers(0, H)), int(rng.integers(0, W))
        r = int(rng.integers(1, 3))
        yy, xx = np.ogrid[-r:r + 1, -r:r + 1]
        disk = (xx * xx + yy * yy) <= r * r
        sl = arr[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1]
        sl[disk[: sl.shape[0], : sl.shape[1]]] -= rng.uniform(50, 140)
    img = Image.fromarray(arr.clip(0, 255).astype("uint8"))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=sc.jpeg_q)
    img = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    if sc.rotate180:
        img = img.rotate(180)
    return img


def quantize(img: Image.Image, step: int) -> Image.Image:
    return img.point(lambda v: min(255, (v // step) * step + step // 2))


def save_png(img, path, sc: Scanner, dpi):
    quantize(img, sc.quant).save(path, "PNG", optimize=True, dpi=(dpi, dpi))


def save_jpeg(img, path, sc: Scanner, dpi):
    img.save(path, "JPEG", quality=sc.jpeg_q, dpi=(dpi, dpi), optimize=True)


def save_tiff(imgs, path, sc: Scanner, dpi):
    q = [quantize(i, sc.quant) for i in imgs]
    q[0].save(path, "TIFF", save_all=True, append_images=q[1:], compression="tiff_adobe_deflate", dpi=(dpi, dpi))


def save_image_pdf(imgs, path, sc: Scanner, dpi, created: dt.datetime):
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(created)
    pdf.set_producer("KONICA MINOLTA bizhub C300i")
    pdf.set_creator("Scan to PDF")
    for img in imgs:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=sc.jpeg_q, dpi=(dpi, dpi))
        buf.seek(0)
        pdf.add_page()
        pdf.image(buf, x=0, y=0, w=210, h=297)
    Path(path).write_bytes(bytes(pdf.output()))


def lawyer_pdf(path, created: dt.datetime):
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(created)
    pdf.set_title("Lettre - Mme Lacroix - obligation alimentaire")
    pdf.set_author("Cabinet Dufresne-Vallet")
    pdf.set_creator("Microsoft Word")
    pdf.add_font("DejaVuSerif", "", str(FONTS / "DejaVuSerif.ttf"))
    pdf.add_font("DejaVuSerif", "B", str(FONTS / "DejaVuSerif-Bold.ttf"))
    pdf.add_font("DejaVuSerif", "I", str(FONTS / "DejaVuSerif-Italic.ttf"))
    pdf.add_font("DejaVuSans", "", str(FONTS / "DejaVuSansCondensed.ttf"))
    pdf.set_margins(25, 20, 22)
    pdf.set_auto_page_break(True, 28)

    def footer():
        pdf.set_y(-20)
        pdf.set_font("DejaVuSans", "", 7.5)
        pdf.set_text_color(110, 110, 110)
        pdf.multi_cell(0, 3.6, "Cabinet Dufresne-Vallet — SELARL d'avocats au capital de 10 000 € — Barreau de Grenoble\n"
                               "18 boulevard Gambetta, 38000 Grenoble — Tél. 04 65 71 10 20 — contact@dufresne-avocat.example\n"
                               f"Page {pdf.page_no()}", align="C")
        pdf.set_text_color(0, 0, 0)

    pdf.footer = footer
    pdf.add_page()
    pdf.set_font("DejaVuSerif", "B", 15)
    pdf.set_text_color(24, 50, 92)
    pdf.cell(0, 8, "Cabinet Dufresne-Vallet", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVuSerif", "I", 9.5)
    pdf.cell(0, 5, "Maître Claire Dufresne-Vallet — Avocate au Barreau de Grenoble", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, "Droit de la famille — Droit public et social", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(24, 50, 92)
    pdf.line(25, pdf.get_y() + 2, 188, pdf.get_y() + 2)
    pdf.ln(8)
    pdf.set_font("DejaVuSerif", "", 10.5)
    y0 = pdf.get_y()
    for line in ["Madame la Médiatrice départementale"] + MEDIATION_BLOCK[:1] + MEDIATION_BLOCK[2:]:
        pdf.set_x(112)
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_x(112)
    pdf.set_font("DejaVuSerif", "I", 9.5)
    pdf.cell(0, 5, "Par courrier et par courriel", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(y0)
    pdf.set_font("DejaVuSerif", "", 9.5)
    for line in ["N/Réf. : 2026-0318 / LACROIX", "Affaire suivie par Me Dufresne-Vallet",
                 "contact@dufresne-avocat.example", "Tél. 04 65 71 10 20"]:
        pdf.cell(80, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(y0 + 48)
    pdf.set_x(112)
    pdf.set_font("DejaVuSerif", "", 10.5)
    pdf.cell(0, 5, "Grenoble, le 30 octobre 2026", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(7)
    pdf.set_font("DejaVuSerif", "B", 10.5)
    pdf.multi_cell(0, 5.2, "Objet : Obligation alimentaire — Mme Sophie Lacroix — décision du 16 juin 2026 — demande de médiation")
    pdf.ln(4)
    pdf.set_font("DejaVuSerif", "", 10.5)
    for para in AVOCAT_BODY:
        pdf.multi_cell(0, 5.4, para, align="J")
        pdf.ln(2.6)
    pdf.ln(3)
    pdf.set_x(112)
    pdf.cell(0, 5, "Claire Dufresne-Vallet", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(112)
    pdf.set_font("DejaVuSerif", "I", 10)
    pdf.cell(0, 5, "Avocate", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVuSerif", "", 9)
    pdf.multi_cell(0, 4.6, "Pièces : décision du 16/06/2026 ; recours gracieux du 08/07/2026 ; rejet du 11/09/2026 ; "
                           "attestation France Travail ; avis d'imposition 2025 ; justificatifs de charges.")
    Path(path).write_bytes(bytes(pdf.output()))


# =========================================================================== the files

PARIS = dt.timezone(dt.timedelta(hours=1))

FILES = [
    # name, letter, dpi, scanner, writer
    ("scan-01-cmi-refus.png", CMI, 200, Scanner(skew=0.8, edge="right"), "png"),
    ("scan-02-ehpad-facture.png", EHPAD, 200, Scanner(skew=-1.3, edge="left", noise=3.0, jpeg_q=60), "png"),
    ("scan-03-ase-visites.jpg", ASE, 300, Scanner(skew=1.6, edge="right", blur=0.9, jpeg_q=55), "jpeg"),
    ("scan-04-rsa-indu-personne-agee.jpg", RSA, 200, Scanner(skew=-0.6, edge="bottom", tone=236, jpeg_q=62), "jpeg"),
    ("scan-05-fsl-energie-2-pages.tif", FSL, 200, Scanner(skew=0.6, edge="left", quant=10), "tiff"),
    ("scan-06-nid-de-poule-rd1085-image-seule.pdf", RD1085, 200, Scanner(skew=1.1, edge="right", jpeg_q=50), "pdf"),
    ("scan-07-avocat-oblige-alimentaire-texte.pdf", None, 0, None, "textpdf"),
    ("scan-08-titre-de-sejour-retourne-180.png", SEJOUR, 200, Scanner(skew=0.9, rotate180=True, edge="right"), "png"),
    ("scan-09-voisinage-fortement-incline.jpg", VOISIN, 200, Scanner(skew=-5.2, edge="left", blur=0.8, jpeg_q=60), "jpeg"),
]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for idx, (name, letter, dpi, sc, kind) in enumerate(FILES, 1):
        path = OUT / name
        created = dt.datetime(2026, 11, 5 + idx // 3, 9, 10 + idx, 0, tzinfo=PARIS)
        if kind == "textpdf":
            lawyer_pdf(path, created)
        else:
            pages = typeset(letter, dpi, seed=idx)
            scans = []
            for p, page in enumerate(pages):
                psc = sc
                if p > 0:  # the second sheet is never placed exactly like the first
                    psc = Scanner(**{**sc.__dict__, "skew": -sc.skew * 0.7, "edge": "right" if sc.edge != "right" else "left"})
                scans.append(scan(page, psc, seed=1000 * idx + p, dpi=dpi))
            if kind == "png":
                assert len(scans) == 1, name
                save_png(scans[0], path, sc, dpi)
            elif kind == "jpeg":
                assert len(scans) == 1, name
                save_jpeg(scans[0], path, sc, dpi)
            elif kind == "tiff":
                assert len(scans) == 2, (name, len(scans))
                save_tiff(scans, path, sc, dpi)
            elif kind == "pdf":
                assert len(scans) == 2, (name, len(scans))
                save_image_pdf(scans, path, sc, dpi, created)
        size = path.stat().st_size
        print(f"{name:48s} {size:>10,d} B")
        assert size <= MAX_FILE, f"{name} is too big"
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"total {total:,d} B")
    assert total < 8_000_000


if __name__ == "__main__":
    main()
