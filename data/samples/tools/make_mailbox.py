#!/usr/bin/env python3
"""Generate the sample mailbox of Médiature: data/samples/mailbox/NNN-*.eml + README.md.

Every message is written out byte by byte (headers, MIME structure, transfer
encodings) to look like what a given mail client really produces: Thunderbird,
Outlook, Gmail, iPhone Mail, Apple Mail, Orange webmail, Windows Live Mail,
Yahoo, Roundcube, the Département's web form (Symfony-like mailer), MTAs
(bounces), list servers... The letters themselves are written one by one; only
the plumbing is shared.

Deterministic: no clock, no unseeded randomness, so re-running produces
byte-identical files.

    /work/main/.venv/bin/python data/samples/tools/make_mailbox.py

Conventions kept throughout: the Département is isere.example, every citizen
uses a reserved *.example domain, phone numbers come from the ARCEP ranges
reserved for fiction (06 39 98 xx xx, 04 65 71 xx xx), IP addresses from the
documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import quopri
import random
import re
import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "mailbox"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
PARIS = ZoneInfo("Europe/Paris")
UTC = dt.timezone.utc
MBOX = "mediation@isere.example"
MBOX_NAME = "Médiation départementale de l'Isère"
MX = "mx1.isere.example"

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
JOURS_FR = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
MOIS_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


# --------------------------------------------------------------------------- dates, ids

def t(month: int, day: int, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    """A local (Europe/Paris) time in 2026."""
    return dt.datetime(2026, month, day, hh, mm, ss, tzinfo=PARIS)


def rfc_date(d: dt.datetime, tz=None, zero_pad=False) -> str:
    if tz is not None:
        d = d.astimezone(tz)
    day = f"{d.day:02d}" if zero_pad else str(d.day)
    return f"{DAYS[d.weekday()]}, {day} {MONTHS[d.month - 1]} {d.year} {d:%H:%M:%S} {d:%z}"


def tzcomment(d: dt.datetime) -> str:
    return "(CEST)" if d.utcoffset() == dt.timedelta(hours=2) else "(CET)"


def sec(d: dt.datetime, s: int) -> dt.datetime:
    return d + dt.timedelta(seconds=s)


def hx(key: str, n: int = 32) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:n]


def alnum(key: str, n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    r = random.Random(key)
    return "".join(r.choice(alphabet) for _ in range(n))


def uuid_like(key: str, upper=False) -> str:
    x = hx(key)
    s = f"{x[:8]}-{x[8:12]}-4{x[13:16]}-a{x[17:20]}-{x[20:32]}"
    return s.upper() if upper else s


def mid_thunderbird(key, domain):
    return f"<{uuid_like(key)}@{domain}>"


def mid_gmail(key):
    return "<CA" + base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()).decode()[:42].replace("-", "+").replace("_", "=") + "@mail.gmail.example>"


def mid_outlook(key):
    host = "PR3P195MB" + str(int(hx(key + "h", 6), 16) % 9000 + 1000)
    return f"<{host}{hx(key, 28).upper()}@{host}.EURP195.PROD.OUTLOOK.example>"


def mid_apple(key, domain):
    return f"<{uuid_like(key, upper=True)}@{domain}>"


def b_thunderbird(key):
    return "------------" + alnum(key, 24)


def b_gmail(key):
    return "000000000000" + hx(key, 16)


def b_outlook(key, kind="000"):
    return f"_{kind}_PR3P195MB{hx(key, 4).upper()}{hx(key + 'x', 22).upper()}EURP_"


def b_apple(key):
    return "Apple-Mail=_" + uuid_like(key, upper=True)


def b_javamail(key, ts_ms):
    r = random.Random(key)
    return f"----=_Part_{r.randint(100000, 999999)}_{r.randint(10**8, 10**9)}.{ts_ms}"


def b_nextpart(key):
    x = hx(key, 20).upper()
    return f"----=_NextPart_000_{x[:4]}_01DD{x[4:8]}.{x[8:16]}"


def b_symfony(key):
    return alnum(key, 8)


def ms(d: dt.datetime) -> int:
    return int(d.timestamp() * 1000) + int(hx(d.isoformat(), 3), 16) % 1000


# --------------------------------------------------------------------------- encodings

def ew(text: str, charset="utf-8", mode="Q", lower=False, first_room=60) -> str:
    """RFC 2047 encoded-words, folded, never splitting a multi-byte character."""
    cs = charset.upper() if not lower else charset
    prefix, suffix = f"=?{cs}?{mode}?", "?="

    def qenc(raw: bytes) -> str:
        out = []
        for byte in raw:
            c = chr(byte)
            if c == " ":
                out.append("_")
            elif c.isascii() and (c.isalnum() or c in "!*+-/"):
                out.append(c)
            else:
                out.append(("=%02x" if lower else "=%02X") % byte)
        return "".join(out)

    def enc(chunk: str) -> str:
        raw = chunk.encode(charset)
        return base64.b64encode(raw).decode() if mode == "B" else qenc(raw)

    words, cur = [], ""
    limit = first_room
    for ch in text:
        if len(prefix) + len(enc(cur + ch)) + len(suffix) > limit:
            words.append(prefix + enc(cur) + suffix)
            cur, limit = ch, 74
        else:
            cur += ch
    words.append(prefix + enc(cur) + suffix)
    return "\n ".join(words)


def needs_ew(s: str) -> bool:
    return not s.isascii()


def addr(name: str | None, email: str, charset="utf-8", mode="Q", lower=False, quote=True) -> str:
    if not name:
        return email if not quote else f"<{email}>"
    if needs_ew(name):
        return f"{ew(name, charset, mode, lower)} <{email}>"
    if quote and re.search(r"[^A-Za-z0-9 !#$%&*+/=?^_`{|}~-]", name):
        return f'"{name}" <{email}>'
    return f"{name} <{email}>"


def qp(text: str, charset="utf-8") -> bytes:
    return quopri.encodestring(text.encode(charset))


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data)


GLUE = "\x1f"


def _glue(line: str) -> str:
    """Keep French non-breaking positions together when wrapping (3 412,57 €, « mot », 1 h 10)."""
    line = re.sub(r"(\d) (?=\d{3}\b)", "\\1" + GLUE, line)
    line = re.sub(r" (?=[€»:;?!%])", GLUE, line)
    line = re.sub(r"« ", "«" + GLUE, line)
    line = re.sub(r"(\d) (?=h\b|kg\b|m\b|cm\b|ans\b|mètres\b)", "\\1" + GLUE, line)
    return line


def flowed(text: str, width: int = 72) -> str:
    """format=flowed (RFC 3676) as Thunderbird writes it: soft breaks end with a space."""
    out = []
    for line in text.split("\n"):
        if line == "-- " or line.startswith(">") or len(line) <= width:
            out.append(line.rstrip(" ") if line != "-- " else line)
            continue
        wrapped = textwrap.wrap(_glue(line), width=width, break_long_words=False, break_on_hyphens=False)
        out.extend(w + " " for w in wrapped[:-1])
        out.append(wrapped[-1])
    return "\n".join(out).replace(GLUE, " ")


def hardwrap(text: str, width: int = 76) -> str:
    out = []
    for line in text.split("\n"):
        if len(line) <= width or line.startswith(">"):
            out.append(line)
        else:
            out.extend(textwrap.wrap(_glue(line), width=width, break_long_words=False, break_on_hyphens=False))
    return "\n".join(out).replace(GLUE, " ")


def quote(text: str) -> str:
    return "\n".join((">" if not line or line.startswith(">") else "> ") + line for line in text.split("\n"))


def html_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def paras_html(text: str, tag="div", br_style="") -> str:
    """Gmail-ish: one <div> per line, <div><br></div> for blank lines."""
    out = []
    for line in text.split("\n"):
        out.append(f"<{tag}>{html_escape(line)}</{tag}>" if line.strip() else f"<{tag}><br></{tag}>")
    return "".join(out)


# --------------------------------------------------------------------------- raw assembly

def hdrs(pairs) -> bytes:
    out = b""
    for name, value in pairs:
        if isinstance(value, bytes):
            out += name.encode() + b": " + value + b"\n"
        else:
            out += f"{name}: {value}\n".encode("ascii")
    return out


def part(pairs, body: bytes) -> bytes:
    if not body.endswith(b"\n"):
        body += b"\n"
    return hdrs(pairs) + b"\n" + body


def multipart(boundary: str, parts, preamble: str = "", epilogue: str = "", close=True) -> bytes:
    out = preamble.encode()
    for p in parts:
        out += b"--" + boundary.encode() + b"\n" + p
        if not out.endswith(b"\n"):
            out += b"\n"
        out += b"\n"
    if close:
        out += b"--" + boundary.encode() + b"--\n" + epilogue.encode()
    return out


def message(pairs, body: bytes, eol: bytes = b"\r\n") -> bytes:
    raw = hdrs(pairs) + b"\n" + body
    raw = raw.replace(b"\r\n", b"\n")
    return raw.replace(b"\n", eol)


def received_in(d: dt.datetime, helo: str, ip: str, key: str, rcpt: str = MBOX, tls=True) -> list:
    """Headers added by our side: Return-Path/Delivered-To are added by the caller."""
    qid = "4c" + alnum(key, 10)
    w = "ESMTPS" if tls else "ESMTP"
    tlsinfo = "\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)" if tls else ""
    return [("Received", f"from {helo} ({helo} [{ip}]){tlsinfo}\n\tby {MX} (Postfix) with {w} id {qid}\n\tfor <{rcpt}>; {rfc_date(sec(d, 3))} {tzcomment(d)}")]


def delivery(env_from: str, d, helo, ip, key, rcpt=MBOX, tls=True, auth=None) -> list:
    h = [("Return-Path", f"<{env_from}>"), ("Delivered-To", rcpt)]
    h += received_in(d, helo, ip, key, rcpt, tls)
    if auth is not None:
        h.append(("Authentication-Results", f"{MX};\n\t{auth}"))
    return h


def spf(domain, ip, result="pass"):
    return f"spf={result} (mailfrom) smtp.mailfrom={domain}; dkim=none; dmarc=none header.from={domain}"


# --------------------------------------------------------------------------- attachments

def _pdf_font(pdf):
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVuSerif", "", str(FONT_DIR / "DejaVuSerif.ttf"))


def letter_pdf(*, created: dt.datetime, header: list[str] | None, sender: list[str], recipient: list[str],
               place_date: str, subject: str, body: str, signature: list[str], refs: list[str] | None = None,
               serif=False, title: str | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(created.astimezone(UTC))
    pdf.set_margins(22, 18, 22)
    pdf.set_auto_page_break(True, 20)
    _pdf_font(pdf)
    if title:
        pdf.set_title(title)
    fam = "DejaVuSerif" if serif else "DejaVu"
    pdf.add_page()
    if header:
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(0, 6, header[0], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8.5)
        for line in header[1:]:
            pdf.cell(0, 4.2, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
    pdf.set_font(fam, "", 10.5)
    for line in sender:
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for line in recipient:
        pdf.set_x(115)
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_x(115)
    pdf.cell(0, 5, place_date, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    if refs:
        for r in refs:
            pdf.cell(0, 5, r, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.multi_cell(0, 5, "Objet : " + subject)
    pdf.ln(4)
    pdf.set_font(fam, "", 10.5)
    for para in body.strip().split("\n\n"):
        pdf.multi_cell(0, 5.2, para.replace("\n", " "), align="J")
        pdf.ln(2.5)
    pdf.ln(4)
    for line in signature:
        pdf.set_x(115)
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def pothole_jpeg(seed: int, size=(1280, 960)) -> bytes:
    """A phone photo of a pothole on a wet road, with EXIF like a phone's."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(seed)
    w, h = size
    y = np.linspace(0, 1, h)[:, None]
    base = 88 + 40 * y + rng.normal(0, 14, (h, w))  # asphalt grain, lighter near the camera
    grain = Image.fromarray(np.clip(base, 0, 255).astype("uint8")).filter(ImageFilter.GaussianBlur(1.1))
    img = Image.merge("RGB", [grain.point(lambda v: v * 0.97), grain, grain.point(lambda v: v * 1.04)])
    d = ImageDraw.Draw(img)
    # edge line of the road (perspective)
    d.polygon([(int(w * 0.74), 0), (int(w * 0.77), 0), (int(w * 0.98), h), (int(w * 0.90), h)], fill=(205, 204, 196))
    # the pothole: irregular polygon, dark rim, muddy water
    r = random.Random(seed)
    cx, cy = w * 0.45, h * 0.62
    pts = []
    for i in range(28):
        a = i / 28 * 6.2832
        rad_x = w * 0.23 * (0.8 + 0.35 * r.random())
        rad_y = h * 0.16 * (0.8 + 0.35 * r.random())
        import math
        pts.append((cx + rad_x * math.cos(a), cy + rad_y * math.sin(a)))
    d.polygon(pts, fill=(46, 44, 40))
    inner = [(cx + (x - cx) * 0.82, cy + (yy - cy) * 0.78 + 6) for x, yy in pts]
    d.polygon(inner, fill=(92, 86, 70))
    for _ in range(90):  # loose gravel
        gx, gy = r.gauss(cx, w * 0.2), r.gauss(cy, h * 0.15)
        s = r.randint(3, 9)
        g = r.randint(70, 150)
        d.ellipse([gx, gy, gx + s, gy + s * 0.7], fill=(g, g, g - 5))
    d.ellipse([cx - 60, cy - 10, cx + 90, cy + 25], fill=(150, 150, 145))  # sky reflection
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    exif = Image.Exif()
    exif[0x010F] = "samsung"
    exif[0x0110] = "SM-A546B"
    exif[0x0132] = "2026:10:20 17:42:10"
    exif[0x0131] = "A546BXXS8CXK1"
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=82, exif=exif.tobytes())
    return buf.getvalue()


def document_photo_jpeg(seed: int, lines: list[str], target=(1_000_000, 1_250_000)) -> bytes:
    """A large phone photo of a paper document (to make a >1 MB message)."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    rng = np.random.default_rng(seed)
    w, h = 2400, 3200
    bg = rng.normal(0, 1, (h // 40, w // 40))
    bg = Image.fromarray(np.clip(128 + 40 * bg, 0, 255).astype("uint8")).resize((w, h), Image.BICUBIC)
    paper = np.asarray(bg, dtype=float) * 0.08 + 222 + rng.normal(0, 7, (h, w))
    img = Image.fromarray(np.clip(paper, 0, 255).astype("uint8")).convert("RGB")
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), 46)
    bold = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), 54)
    y = 180
    for i, line in enumerate(lines):
        d.text((170, y), line, font=bold if i == 0 else font, fill=(38, 36, 40))
        y += 78 if line else 50
    d.rectangle([0, 0, 60, h], fill=(70, 58, 44))  # table edge visible on the left
    img = img.rotate(1.7, resample=Image.BICUBIC, fillcolor=(70, 58, 44)).filter(ImageFilter.GaussianBlur(0.9))
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 13"
    exif[0x0132] = "2026:11:08 18:20:41"
    best = None
    for q in range(95, 40, -3):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=q, exif=exif.tobytes())
        size = buf.tell()
        if size <= target[1]:
            best = buf.getvalue()
            break
    assert best is not None and len(best) >= target[0], len(best or b"")
    return best


# --------------------------------------------------------------------------- acknowledgements (as quoted by citizens)

def ack_text(ref: str, date_fr: str) -> str:
    return f"""Madame, Monsieur,

Nous accusons réception de votre demande de médiation, enregistrée le {date_fr} sous la référence {ref}.

La médiatrice départementale va en prendre connaissance et reviendra vers vous dans les meilleurs délais. Pour faciliter l'examen de votre demande, vous pouvez répondre à ce message en joignant toute pièce utile (décision contestée, courriers échangés avec le service, recours déjà effectués).

Merci de rappeler cette référence dans vos échanges.

Médiation départementale
Département de l'Isère
mediation@isere.example"""


def ack_subject(ref: str) -> str:
    return f"Votre demande de médiation {ref} — accusé de réception"


def ack_mid(ref: str) -> str:
    return f"<ack.{ref}.fake@isere.example>"


# =========================================================================== registry

MESSAGES: list[dict] = []


def mail(file: str, action: str, *, dossier: str = "", triage: str = "", sender: str = "", exercises: str = ""):
    def deco(fn):
        MESSAGES.append(dict(file=file, fn=fn, action=action, dossier=dossier, triage=triage,
                             sender=sender, exercises=exercises))
        return fn
    return deco


# =========================================================================== 001

GERARD = ("Gérard Pellissier", "gerard.pellissier@free.example")
T001 = """Madame, Monsieur,

Je me permets de vous saisir au sujet de la carte mobilité inclusion de mon épouse, Mme Josette Pellissier, née le 2 mars 1951.

Mon épouse a été opérée de la hanche en janvier dernier et souffre depuis d'une arthrose sévère des deux genoux. Elle ne peut plus marcher plus de cinquante mètres sans s'arrêter et se sert d'une canne en permanence. Nous avons déposé une demande de CMI mention « stationnement » auprès de la Maison de l'autonomie le 14 avril 2026. Par décision du 19 juin 2026, la demande a été refusée au motif que « le périmètre de marche n'est pas réduit de façon durable ».

Nous avons formé un recours administratif préalable (RAPO) par lettre recommandée le 28 juillet 2026, accompagné d'un nouveau certificat de son rhumatologue. Ce recours est à ce jour resté sans réponse, malgré deux appels au standard de la MDA où l'on nous a simplement dit que le dossier était « en cours ».

Nous ne comprenons pas cette décision. Sans cette carte, mon épouse ne peut plus m'accompagner faire les courses ni se rendre à ses rendez-vous au CHU, car il est impossible de se garer près de l'entrée.

Je vous remercie par avance de l'attention que vous porterez à notre demande. Je peux vous transmettre le courrier de refus si nécessaire.

Veuillez agréer, Madame, Monsieur, l'expression de mes salutations distinguées.

-- 
Gérard Pellissier
14 rue Mainssieux
38500 Voiron
06 39 98 14 27
"""


@mail("001-cmi-refus-thunderbird.eml", "open", dossier="MED-2026-00001",
      triage="autonomie_handicap / recevable / none", sender=GERARD[1],
      exercises="Thunderbird, text/plain UTF-8 8bit format=flowed; Subject as lowercase-hex =?UTF-8?Q?; `-- ` signature block; RAPO left unanswered")
def m001():
    d = t(10, 5, 9, 14, 22)
    h = delivery(GERARD[1], d, "smtp4-g21.free.example", "198.51.100.21", "001", auth=spf("free.example", "198.51.100.21"))
    h += [
        ("Message-ID", mid_thunderbird("001", "free.example")),
        ("Date", rfc_date(d)),
        ("MIME-Version", "1.0"),
        ("User-Agent", "Mozilla Thunderbird"),
        ("Content-Language", "fr"),
        ("To", MBOX),
        ("From", addr(*GERARD, lower=True)),
        ("Subject", ew("Demande de médiation - refus de carte mobilité inclusion pour mon épouse", lower=True, first_room=64)),
        ("Content-Type", "text/plain; charset=UTF-8; format=flowed"),
        ("Content-Transfer-Encoding", "8bit"),
    ]
    return message(h, flowed(T001).encode("utf-8"))


# =========================================================================== web form helper

FORM_FROM = addr("Département de l'Isère", "ne-pas-repondre@isere.example", lower=False)
FORM_FIELDS = ["Civilité", "Nom", "Prénom", "Adresse", "Code postal", "Commune", "Téléphone", "Courriel",
               "Service concerné", "Démarches déjà effectuées", "Objet de la demande"]


def form_text(values: dict, msg: str) -> str:
    lines = ["Formulaire de saisine de la médiation départementale"]
    for f in FORM_FIELDS:
        lines.append(f"{f} : {values.get(f, '')}".rstrip())
    lines.append("Message :")
    lines.append(msg.strip("\n"))
    return "\n".join(lines) + "\n"


def form_html(values: dict, msg: str) -> str:
    rows = "".join(
        f'<tr><th style="text-align:left;padding:4px 12px 4px 0;color:#555">{html_escape(f)}</th>'
        f'<td style="padding:4px 0">{html_escape(values.get(f, ""))}</td></tr>\n' for f in FORM_FIELDS)
    body = "<br>\n".join(html_escape(x) for x in msg.strip("\n").split("\n"))
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Nouvelle demande</title></head>
<body style="font-family:Arial,sans-serif;font-size:14px;color:#222">
<h1 style="font-size:18px;color:#00558c">Formulaire de saisine de la médiation départementale</h1>
<table role="presentation" cellspacing="0" cellpadding="0">
{rows}</table>
<h2 style="font-size:15px">Message</h2>
<p>{body}</p>
<hr><p style="font-size:11px;color:#888">Message envoyé automatiquement depuis isere.example. Merci de ne pas répondre à cette adresse.</p>
</body></html>
"""


def form_mail(num: str, d: dt.datetime, values: dict, msg: str, key: str, html=False) -> bytes:
    email = values.get("Courriel", "")
    h = [("Return-Path", "<bounces-formulaires@isere.example>"), ("Delivered-To", MBOX),
         ("Received", f"from web-form-02.isere.example (web-form-02.isere.example [10.38.4.12])\n\tby {MX} (Postfix) with ESMTP id 4c{alnum(key, 10)}\n\tfor <{MBOX}>; {rfc_date(sec(d, 1))} {tzcomment(d)}"),
         ("Message-ID", f"<{hx(key)}@isere.example>"),
         ("Date", rfc_date(d)),
         ("Subject", ew(f"[Formulaire médiation] Nouvelle demande n° {num}", lower=False)),
         ("From", FORM_FROM),
         ("To", MBOX)]
    if email:
        h.append(("Reply-To", addr(f"{values['Prénom']} {values['Nom'].title()}", email)))
    h += [("X-Form-Id", "mediation"), ("MIME-Version", "1.0")]
    text = form_text(values, msg)
    if not html:
        h += [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")]
        return message(h, qp(text))
    bd = b_symfony(key)
    h.append(("Content-Type", f"multipart/alternative; boundary={bd}"))
    body = multipart(bd, [
        part([("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp(text)),
        part([("Content-Type", "text/html; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp(form_html(values, msg))),
    ])
    return message(h, body)


# =========================================================================== 002

V002 = {"Civilité": "Madame", "Nom": "VIAL", "Prénom": "Christiane", "Adresse": "5 chemin des Noyers",
        "Code postal": "38160", "Commune": "Saint-Marcellin", "Téléphone": "04 65 71 22 09",
        "Courriel": "christianne.vial@wanadoo.example", "Service concerné": "Direction de l'autonomie",
        "Démarches déjà effectuées": "Plusieurs appels au service APA de Saint-Marcellin, courrier du 20 août 2026 resté sans réponse",
        "Objet de la demande": "Diminution du plan d'aide APA de mon mari"}
T002 = """Bonjour,
Mon mari Raymond Vial, 84 ans, bénéficie de l'APA à domicile depuis 2023. Après la réévaluation faite chez nous le 11 juin dernier, son plan d'aide est passé de 45 heures à 28 heures par mois, alors que son état s'est aggravé (il ne se lève plus seul depuis sa chute de mars et il a des troubles de mémoire).
L'association d'aide à domicile nous a prévenus que les passages du soir seront supprimés à partir de novembre. J'ai moi-même 81 ans et je ne peux plus le porter.
J'ai téléphoné plusieurs fois au service, on me dit que l'évaluatrice est partie et qu'il faut attendre. J'ai écrit le 20 août, je n'ai jamais eu de réponse.
Je voudrais que quelqu'un revienne voir la situation avant que les heures soient réduites.
Merci de votre aide.
Christiane Vial"""


@mail("002-formulaire-apa-courriel-errone.eml", "open", dossier="MED-2026-00002",
      triage="autonomie_personnes_agees / recevable / none", sender="christianne.vial@wanadoo.example (Reply-To; From is the form robot)",
      exercises="web form, text/plain UTF-8 quoted-printable, Reply-To = citizen; the typed e-mail is mistyped (christiaNNe), so the acknowledgement bounces (see 003)")
def m002():
    return form_mail("2026-004817", t(10, 5, 14, 37, 8), V002, T002, "002")


# =========================================================================== 003 DSN

def ack_headers(ref, to_addr, to_name, d, key):
    return [("Return-Path", f"<{MBOX}>"),
            ("Received", f"from mediature.isere.example (mediature.isere.example [10.38.4.30])\n\tby {MX} (Postfix) with ESMTP id 4c{alnum(key, 10)}\n\tfor <{to_addr}>; {rfc_date(d)} {tzcomment(d)}"),
            ("From", addr(MBOX_NAME, MBOX)),
            ("To", addr(to_name, to_addr)),
            ("Subject", ew(ack_subject(ref))),
            ("Date", rfc_date(d)),
            ("Message-ID", ack_mid(ref)),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
            ("Auto-Submitted", "auto-generated")]


@mail("003-bounce-dsn-accuse-MED-2026-00002.eml", "bounce", dossier="MED-2026-00002",
      sender="MAILER-DAEMON@isere.example (Return-Path <>)",
      exercises="multipart/report; report-type=delivery-status (Postfix DSN), Status 5.1.1 user unknown; the message/rfc822 part is our acknowledgement <ack.MED-2026-00002.fake@isere.example> sent to christianne.vial@wanadoo.example")
def m003():
    d_ack = t(10, 5, 15, 11, 40)
    d = sec(d_ack, 3)
    rcpt = "christianne.vial@wanadoo.example"
    bd = "4cBvXk2Qz1Mx7.1791205903/" + MX
    h = [("Return-Path", "<>"), ("Delivered-To", MBOX),
         ("Received", f"by {MX} (Postfix)\n\tid 4cBvXk2Qz1Mx7; {rfc_date(d)} {tzcomment(d)}"),
         ("Date", rfc_date(d)),
         ("From", "MAILER-DAEMON@isere.example (Mail Delivery System)"),
         ("Subject", "Undelivered Mail Returned to Sender"),
         ("To", MBOX),
         ("Auto-Submitted", "auto-replied"),
         ("MIME-Version", "1.0"),
         ("Content-Type", f'multipart/report; report-type=delivery-status;\n\tboundary="{bd}"'),
         ("Content-Transfer-Encoding", "8bit"),
         ("Message-Id", f"<20261005131143.4cBvXk2Qz1Mx7@{MX}>")]
    notice = f"""This is the mail system at host {MX}.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<{rcpt}>: host mx-in.wanadoo.example[203.0.113.80] said: 550 5.1.1
    <{rcpt}>: Recipient address rejected: User unknown in
    virtual mailbox table (in reply to RCPT TO command)
"""
    status = f"""Reporting-MTA: dns; {MX}
X-Postfix-Queue-ID: 4cBvXk2Qz1Mx7
X-Postfix-Sender: rfc822; {MBOX}
Arrival-Date: {rfc_date(d_ack)}

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx-in.wanadoo.example
Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User
    unknown in virtual mailbox table
"""
    orig = message(ack_headers("MED-2026-00002", rcpt, "Christiane Vial", d_ack, "ack2"),
                   ack_text("MED-2026-00002", "5 octobre 2026").encode() + b"\n", eol=b"\n")
    body = multipart(bd, [
        part([("Content-Description", "Notification"), ("Content-Type", "text/plain; charset=us-ascii")], notice.encode()),
        part([("Content-Description", "Delivery report"), ("Content-Type", "message/delivery-status")], status.encode()),
        part([("Content-Description", "Undelivered Message"), ("Content-Type", "message/rfc822"),
              ("Content-Transfer-Encoding", "8bit")], orig),
    ], preamble="This is a MIME-encapsulated message.\n\n")
    return message(h, body)


# =========================================================================== 004 Outlook EHPAD billing

NATHALIE = ("Guillot Nathalie", "nathalie.guillot@outlook.example")
T004 = """Madame la Médiatrice,

Je vous écris au sujet de la facturation de l'EHPAD « Résidence Les Tilleuls » à Saint-Égrève, où mon père, M. Henri Guillot (89 ans), est hébergé depuis mars 2024. Il bénéficie de l'aide sociale à l'hébergement, ce qui fait que le Département prend en charge une partie des frais.

Deux problèmes :
1) Mon père a été hospitalisé au CHU du 2 au 19 juillet 2026. La facture de juillet compte pourtant le tarif hébergement plein sur tout le mois, sans la déduction du forfait hospitalier prévue au-delà de 72 heures d'absence.
2) Depuis la réévaluation de mai, mon père est classé GIR 4, mais le tarif dépendance facturé en août et septembre est toujours celui des GIR 1-2 (écart de 312,40 € par mois sur le ticket modérateur).

J'ai écrit à la directrice de l'établissement le 24 juillet puis au service des établissements de la Direction de l'autonomie le 1er septembre. La réponse reçue le 22 septembre indique seulement que « la facturation relève de l'établissement » et que je dois voir avec lui, alors que l'établissement me renvoie vers le Département puisque l'aide sociale est en jeu. Je tourne en rond depuis trois mois.

Je vous remercie de bien vouloir intervenir pour que la facture soit corrigée et que la part d'aide sociale soit recalculée. Je tiens à votre disposition les factures et les courriers échangés.

Cordialement,

Nathalie Guillot
27 avenue de Verdun
38240 Meylan
Tél. 06 39 98 51 63
"""


def outlook_html(text: str) -> str:
    ps = []
    for line in text.split("\n"):
        inner = html_escape(line) if line.strip() else "&nbsp;"
        ps.append(f'<p class="MsoNormal">{inner}<o:p></o:p></p>')
    return ('<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" '
            'xmlns="http://www.w3.org/TR/REC-html40">\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">\n'
            '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\n<style><!--\n'
            '/* Font Definitions */\n@font-face\n\t{font-family:"Cambria Math";\n\tpanose-1:2 4 5 3 5 4 6 3 2 4;}\n'
            '@font-face\n\t{font-family:Aptos;}\n/* Style Definitions */\np.MsoNormal, li.MsoNormal, div.MsoNormal\n'
            '\t{margin:0cm;\n\tfont-size:12.0pt;\n\tfont-family:"Aptos",sans-serif;\n\tmso-ligatures:standardcontextual;\n\tmso-fareast-language:EN-US;}\n'
            'span.EmailStyle17\n\t{mso-style-type:personal-compose;\n\tfont-family:"Aptos",sans-serif;\n\tcolor:windowtext;}\n'
            '.MsoChpDefault\n\t{mso-style-type:export-only;\n\tfont-size:10.0pt;}\n@page WordSection1\n\t{size:612.0pt 792.0pt;\n\tmargin:70.85pt 70.85pt 70.85pt 70.85pt;}\n'
            'div.WordSection1\n\t{page:WordSection1;}\n--></style>\n</head>\n<body lang="FR" link="#467886" vlink="#96607D" style="word-wrap:break-word">\n'
            '<div class="WordSection1">\n' + "\n".join(ps) + "\n</div>\n</body>\n</html>\n")


def outlook_headers(key, sender, to, subject, d, thread_topic=None, has_attach=False):
    return [("From", addr(*sender, charset="iso-8859-1")),
            ("To", to),
            ("Subject", ew(subject, "iso-8859-1") if needs_ew(subject) else subject),
            ("Thread-Topic", ew(thread_topic or subject, "iso-8859-1") if needs_ew(thread_topic or subject) else (thread_topic or subject)),
            ("Thread-Index", base64.b64encode(hashlib.sha1(key.encode()).digest()[:22]).decode()),
            ("Date", rfc_date(d, UTC)),
            ("Message-ID", mid_outlook(key)),
            ("Accept-Language", "fr-FR, en-US"),
            ("Content-Language", "fr-FR"),
            ("X-MS-Has-Attach", "yes" if has_attach else ""),
            ("X-MS-TNEF-Correlator", ""),
            ("msip_labels", ""),
            ("MIME-Version", "1.0")]


@mail("004-ehpad-facturation-outlook.eml", "open", dossier="MED-2026-00003",
      triage="autonomie_personnes_agees / recevable / none", sender=NATHALIE[1],
      exercises="Outlook (Microsoft 365): multipart/alternative, both parts iso-8859-1 quoted-printable, Word-generated HTML; Date in +0000")
def m004():
    d = t(10, 6, 8, 52, 41)
    subject = "Facturation EHPAD Les Tilleuls - demande de médiation"
    h = delivery(NATHALIE[1], d, "EUR05-AM6-obe.outbound.protection.outlook.example", "203.0.113.146", "004",
                 auth=spf("outlook.example", "203.0.113.146"))
    h += outlook_headers("004", NATHALIE, f'"{MBOX}" <{MBOX}>', subject, d)
    bd = b_outlook("004")
    h.append(("Content-Type", f'multipart/alternative;\n\tboundary="{bd}"'))
    body = multipart(bd, [
        part([("Content-Type", 'text/plain; charset="iso-8859-1"'), ("Content-Transfer-Encoding", "quoted-printable")],
             qp(T004.replace("€", "EUR"), "iso-8859-1")),
        part([("Content-Type", 'text/html; charset="iso-8859-1"'), ("Content-Transfer-Encoding", "quoted-printable")],
             qp(outlook_html(T004.replace("€", "EUR")), "iso-8859-1")),
    ])
    return message(h, body)


# =========================================================================== 005 Gmail ASE visits

LAETITIA = ("Laetitia Roux", "laetitia.roux38@gmail.example")
T005 = """Bonjour,

Je me permet de vous écrire parce que je ne sais plus vers qui me tourner.

Mes deux enfants Enzo (9 ans) et Lina (6 ans) sont placés à l'ASE depuis février 2026, ils sont chez une assistante familiale dans le Nord-Isère. Le juge a prévu des visites médiatisées au moins deux fois par mois. En réalité j'ai une visite d'une heure toutes les trois semaines à la Maison du Département de Bourgoin, et depuis l'été trois visites ont été annulées par le service la veille (manque de personnel on m'a dit), sans être remplacées. Je n'ai pas vu mes enfants depuis le 9 septembre.

J'ai laissé des messages à la référente presque chaque semaine depuis août, j'ai envoyé des mails le 28 août, le 15 septembre et le 1er octobre, personne ne me répond. À l'accueil on me dit que c'est la référente qui gère. Lina pleure au téléphone et demande quand elle va me voir.

Je ne conteste pas le placement, je fais tout ce qu'on me demande (suivi, travail), je demande juste que les visites prévues aient lieu et qu'on me réponde.

Merci de m'aider.

Laetitia Roux
8 rue de la Libération
38300 Bourgoin-Jallieu
06 39 98 07 72
"""


def gmail_alt(key, text, html_inner=None):
    bd = b_gmail(key)
    html = f'<div dir="ltr">{html_inner if html_inner is not None else paras_html(text)}</div>\n'
    return bd, multipart(bd, [
        part([("Content-Type", 'text/plain; charset="UTF-8"'), ("Content-Transfer-Encoding", "quoted-printable")], qp(text)),
        part([("Content-Type", 'text/html; charset="UTF-8"'), ("Content-Transfer-Encoding", "quoted-printable")], qp(html)),
    ])


def gmail_headers(key, sender, d, subject, to=MBOX, extra=()):
    return [("MIME-Version", "1.0"),
            ("Date", rfc_date(d)),
            *extra,
            ("Message-ID", mid_gmail(key)),
            ("Subject", ew(subject, mode="Q") if needs_ew(subject) else subject),
            ("From", addr(*sender)),
            ("To", to)]


def gmail_delivery(sender, d, key):
    return delivery(sender, d, "mail-sor-f41.google.example", "192.0.2.41", key,
                    auth=spf("gmail.example", "192.0.2.41"))


@mail("005-ase-visites-mediatisees-gmail.eml", "open", dossier="MED-2026-00004",
      triage="protection_enfance / recevable / none", sender=LAETITIA[1],
      exercises="Gmail: multipart/alternative text+html, UTF-8 quoted-printable, <div dir=ltr> HTML; dialogue with the ASE referent broken")
def m005():
    d = t(10, 7, 21, 48, 12)
    h = gmail_delivery(LAETITIA[1], d, "005")
    h += gmail_headers("005", LAETITIA, d, "Visites médiatisées avec mes enfants - aucune réponse de l'ASE")
    bd, body = gmail_alt("005", T005)
    h.append(("Content-Type", f'multipart/alternative; boundary="{bd}"'))
    return message(h, body)


# =========================================================================== 006 reply to ack 001 + PDF

T006 = """Bonjour,

Merci pour votre réponse rapide. Comme indiqué, je vous joins le courrier de refus de la Maison de l'autonomie du 19 juin 2026 concernant la carte de mon épouse.

Je n'ai toujours aucune nouvelle du recours envoyé le 28 juillet.

Bien cordialement,

-- 
Gérard Pellissier
06 39 98 14 27

Le 05/10/2026 à 11:32, Médiation départementale de l'Isère a écrit :
""" + quote(ack_text("MED-2026-00001", "5 octobre 2026")) + "\n"

REFUS_CMI_BODY = """Madame,

Vous avez sollicité le 14 avril 2026 l'attribution de la carte mobilité inclusion (CMI) mention « stationnement pour personnes handicapées ».

Après examen de votre dossier par l'équipe pluridisciplinaire, le Président du Conseil départemental a décidé de ne pas faire droit à votre demande. En effet, au vu des éléments médicaux transmis, le périmètre de marche n'est pas réduit de façon durable au sens de l'article R. 241-12-1 du code de l'action sociale et des familles.

Cette décision peut faire l'objet d'un recours administratif préalable obligatoire (RAPO) dans un délai de deux mois à compter de sa notification, adressé à la Maison de l'autonomie.

Nous vous prions d'agréer, Madame, l'expression de nos salutations distinguées."""


def refus_cmi_pdf():
    return letter_pdf(
        created=t(6, 19, 10, 4),
        header=["Département de l'Isère — Maison de l'autonomie",
                "Service des prestations — 15 avenue de l'Exemple — CS 00000 — 38022 Grenoble Cedex 1",
                "Tél. 04 65 71 00 00 — mda@isere.example"],
        sender=["Dossier n° MDA-2026-118734", "Affaire suivie par : C. Brunet"],
        recipient=["Madame Josette Pellissier", "14 rue Mainssieux", "38500 Voiron"],
        place_date="Grenoble, le 19 juin 2026",
        subject="Décision de refus — carte mobilité inclusion mention stationnement",
        body=REFUS_CMI_BODY, signature=["Pour le Président et par délégation,", "La responsable du service", "Claire Brunet"],
        title="Notification de décision CMI")


@mail("006-reponse-accuse-MED-2026-00001-pdf.eml", "attach", dossier="MED-2026-00001",
      sender=GERARD[1],
      exercises="reply to our acknowledgement: Subject `Re: Votre demande de médiation MED-2026-00001 — accusé de réception`, In-Reply-To/References <ack.MED-2026-00001.fake@isere.example>, same sender as 001; quotes the ack below a Thunderbird attribution line; multipart/mixed with a real PDF (the refusal letter)")
def m006():
    d = t(10, 9, 10, 5, 37)
    h = delivery(GERARD[1], d, "smtp4-g21.free.example", "198.51.100.21", "006", auth=spf("free.example", "198.51.100.21"))
    bd = b_thunderbird("006")
    h += [
        ("Content-Type", f'multipart/mixed; boundary="{bd}"'),
        ("Message-ID", mid_thunderbird("006", "free.example")),
        ("Date", rfc_date(d)),
        ("MIME-Version", "1.0"),
        ("User-Agent", "Mozilla Thunderbird"),
        ("Subject", ew("Re: " + ack_subject("MED-2026-00001"), lower=True, first_room=64)),
        ("Content-Language", "fr"),
        ("To", addr(MBOX_NAME, MBOX, lower=True)),
        ("References", ack_mid("MED-2026-00001")),
        ("From", addr(*GERARD, lower=True)),
        ("In-Reply-To", ack_mid("MED-2026-00001")),
    ]
    pdf = refus_cmi_pdf()
    body = multipart(bd, [
        part([("Content-Type", "text/plain; charset=UTF-8; format=flowed"), ("Content-Transfer-Encoding", "8bit")],
             flowed(T006).encode()),
        part([("Content-Type", 'application/pdf; name="Refus CMI MDA 19-06-2026.pdf"'),
              ("Content-Disposition", 'attachment; filename="Refus CMI MDA 19-06-2026.pdf"'),
              ("Content-Transfer-Encoding", "base64")], b64(pdf)),
    ], preamble="This is a multi-part message in MIME format.\n")
    return message(h, body)


# =========================================================================== 007 iPhone RSA suspension with quote

SAMIRA = ("Samira Benali", "samira.benali@orange.example")
Q007 = """Madame,

Nous accusons réception de votre courrier du 15 septembre 2026 et du bulletin d'hospitalisation joint.

Votre situation sera examinée lors de la prochaine équipe pluridisciplinaire, prévue le 19 novembre 2026. Dans l'attente de cet examen, la suspension de votre allocation RSA décidée à compter du 1er septembre 2026 est maintenue.

Cordialement,

Service RSA
Territoire Agglomération grenobloise
Département de l'Isère"""
T007 = """Bonjour,

Je vous transfère la réponse que j'ai reçue hier du service RSA.

Mon RSA est suspendu depuis le 1er septembre parce que je ne suis pas allée au rendez-vous d'orientation du 2 septembre. J'étais hospitalisée à l'hôpital Sud du 31 août au 4 septembre (appendicite), j'ai envoyé le bulletin d'hospitalisation le 15 septembre avec un courrier. Ils me répondent que ce sera vu le 19 novembre et que la suspension continue en attendant.

Ça fait donc presque trois mois sans rien. J'ai deux enfants, le loyer d'octobre n'est pas payé et le bailleur m'a déjà envoyé une relance. J'ai appelé trois fois, on me dit d'attendre la commission.

Je ne comprends pas pourquoi on ne peut pas régulariser avant puisque j'ai la preuve que j'étais à l'hôpital. Est-ce que vous pouvez faire quelque chose ?

Samira Benali
41 avenue du 8 Mai 1945, 38130 Échirolles
06 39 98 33 90

Envoyé de mon iPhone

> Le 12 oct. 2026 à 10:02, Service RSA - Territoire Agglomération grenobloise <rsa.agglo@isere.example> a écrit :
> 
""" + quote(Q007) + "\n"


@mail("007-rsa-suspension-iphone-citation.eml", "open", dossier="MED-2026-00005",
      triage="insertion_rsa / recevable / none", sender=SAMIRA[1],
      exercises="iPhone Mail: text/plain utf-8 quoted-printable, `Mime-Version: 1.0 (1.0)`; body quotes an earlier message (`> Le 12 oct. 2026 à 10:02, … a écrit :` and `> ` lines) after `Envoyé de mon iPhone`")
def m007():
    d = t(10, 13, 7, 41, 5)
    h = delivery(SAMIRA[1], d, "smtp-out.orange.example", "198.51.100.200", "007", auth=spf("orange.example", "198.51.100.200"))
    h += [("Content-Type", "text/plain;\n\tcharset=utf-8"),
          ("Content-Transfer-Encoding", "quoted-printable"),
          ("From", addr(*SAMIRA)),
          ("Mime-Version", "1.0 (1.0)"),
          ("Date", rfc_date(d)),
          ("Subject", ew("Fwd: Suspension RSA - réponse du service", lower=False)),
          ("Message-Id", mid_apple("007", "orange.example")),
          ("References", f"<{hx('rsaagglo', 24)}@isere.example>"),
          ("In-Reply-To", f"<{hx('rsaagglo', 24)}@isere.example>"),
          ("To", MBOX),
          ("X-Mailer", "iPhone Mail (22B91)")]
    return message(h, qp(T007))


# =========================================================================== 008 ISO-8859-1 QP, PMI

MARTINE = ("Martine Jacquier", "martine.jacquier@neuf.example")
T008 = """Madame, Monsieur,

Je suis assistante maternelle agréée depuis 2011 à Vienne et j'accueillais jusqu'à cette année quatre enfants. Lors du renouvellement de mon agrément, après la visite de la puéricultrice de PMI le 9 avril 2026, ma capacité d'accueil a été ramenée à deux enfants par décision du 27 mai 2026. Le motif indiqué est la sécurité de l'escalier intérieur et l'absence de clôture autour du bassin de jardin.

J'ai fait poser une barrière d'escalier homologuée et une clôture de 1,20 m autour du bassin dès le mois de juin (factures à l'appui). J'ai adressé un recours gracieux au Président du Conseil départemental le 30 juin 2026 avec les photos et les factures. Par courrier du 2 septembre, le recours a été rejeté sans qu'aucune nouvelle visite n'ait été faite à mon domicile.

Cette décision me fait perdre la moitié de mes revenus et deux familles ont dû chercher une autre solution en urgence. Je demande simplement qu'une nouvelle visite soit organisée pour constater les travaux.

Je vous remercie de l'attention portée à ma demande.

Martine Jacquier
3 impasse des Lilas
38200 Vienne
04 65 71 48 15
"""


def wlm_headers(key, sender, d, subject, subject_mode="B"):
    return [("From", addr(*sender, charset="iso-8859-1", mode="Q")),
            ("To", f"<{MBOX}>"),
            ("Subject", ew(subject, "iso-8859-1", subject_mode) if needs_ew(subject) else subject),
            ("Date", rfc_date(d, zero_pad=False)),
            ("MIME-Version", "1.0"),
            ("X-Priority", "3"),
            ("X-MSMail-Priority", "Normal"),
            ("Importance", "Normal"),
            ("X-Mailer", "Microsoft Windows Live Mail 16.4.3528.331"),
            ("X-MimeOLE", "Produced By Microsoft MimeOLE V16.4.3528.331"),
            ("Message-ID", f"<{hx(key, 16).upper()}{hx(key + 'm', 4).upper()}@PCMARTINE>" if "Jacquier" in sender[0] else f"<{hx(key, 20).upper()}@PC-SALON>")]


@mail("008-pmi-agrement-iso-8859-1-qp.eml", "open", dossier="MED-2026-00006",
      triage="pmi / recevable / none", sender=MARTINE[1],
      exercises="Windows Live Mail: text/plain charset=iso-8859-1 quoted-printable (format=flowed, reply-type=original); Subject =?ISO-8859-1?B?…?=; recours gracieux rejected")
def m008():
    d = t(10, 13, 16, 20, 44)
    h = delivery(MARTINE[1], d, "smtp.neuf.example", "198.51.100.77", "008", auth=spf("neuf.example", "198.51.100.77"))
    h += wlm_headers("008", MARTINE, d, "Réduction de mon agrément d'assistante maternelle - demande de médiation")
    h += [("Content-Type", 'text/plain;\n\tformat=flowed;\n\tcharset="iso-8859-1";\n\treply-type=original'),
          ("Content-Transfer-Encoding", "quoted-printable")]
    return message(h, qp(flowed(T008, 76), "iso-8859-1"))


# =========================================================================== 009 cp1252 declared as iso-8859-1, RSA indu

PATRICK = ("Patrick Faure", "p.faure@sfr.example")
T009 = """Bonjour Madame la Médiatrice,

Je m’adresse à vous au sujet d’un “trop-perçu” de RSA qu’on me réclame : 3 412,57 € pour l’année 2025.

En 2025 j’ai fait quelques missions d’intérim (environ 4 mois en tout) que j’ai toujours déclarées sur mes déclarations trimestrielles, je peux le prouver. En avril 2026 j’ai reçu une notification d’indu du Département, sans aucun détail du calcul, et depuis juin on me retient 150 € par mois sur mon RSA, ce qui me laisse à peine de quoi vivre.

J’ai envoyé le 2 août 2026 un recours gracieux au Président du Conseil départemental pour demander une explication du calcul et une remise de dette (copie de mes déclarations jointes). Mon recours gracieux du 2 août est resté sans réponse, et quand j’appelle on me dit que “c’est en cours”…

Je ne refuse pas de rembourser ce que je dois vraiment, mais je voudrais comprendre d’où sort ce chiffre et qu’on tienne compte de ma situation (je vis seul, j’aide ma sœur handicapée).

Merci d’avance,
Patrick Faure
22 rue Jean-Jaurès
38600 Fontaine
06 39 98 62 04
"""


@mail("009-rsa-indu-cp1252-declare-latin1.eml", "open", dossier="MED-2026-00007",
      triage="insertion_rsa / recevable / none", sender=PATRICK[1],
      exercises="lying charset: declared iso-8859-1, 8bit body is really windows-1252 (0x80 €, 0x92 ’, 0x93/0x94 “ ”, 0x85 …, 0x9C œ) — decode as cp1252 to get `3 412,57 €`; Outlook Express headers; recours gracieux unanswered")
def m009():
    d = t(10, 14, 11, 3, 29)
    h = delivery(PATRICK[1], d, "smtp-out.sfr.example", "198.51.100.133", "009", auth=spf("sfr.example", "198.51.100.133"))
    h += [("Message-ID", "<000801dd3c1a$4e6f2b10$eb4d8130$@sfr.example>"),
          ("From", addr(*PATRICK)),
          ("To", f"<{MBOX}>"),
          ("Subject", "Trop percu RSA - recours sans reponse"),
          ("Date", rfc_date(d)),
          ("MIME-Version", "1.0"),
          ("Content-Type", 'text/plain;\n\tcharset="iso-8859-1"'),
          ("Content-Transfer-Encoding", "8bit"),
          ("X-Priority", "3"),
          ("X-MSMail-Priority", "Normal"),
          ("X-Mailer", "Microsoft Outlook Express 6.00.2900.5931"),
          ("X-MimeOLE", "Produced By Microsoft MimeOLE V6.00.2900.6157")]
    return message(h, hardwrap(T009, 74).encode("cp1252"))


# =========================================================================== 010 no charset, 8-bit UTF-8, LF

KEVIN = ("Kevin Dos Santos", "kdossantos@netcourrier.example")
T010 = """bonjour

je vous ecrit car j'ai reçu hier un courier du FSL qui me refuse l'aide pour ma facture d'électricité. je dois 1247 euros au fournisseur et ils m'ont dit qu'ils vont réduire la puissance et couper si je paye pas avant le 15 novembre.

le refus dit que mes ressources sont trop élevé mais c'est faux, ils ont pris mes salaires de l'an dernier alors que je suis au chomage depuis juin et je touche juste l'ARE. j'ai un fils de 4 ans qui vit avec moi une semaine sur deux, si on me coupe je peux plus le prendre.

c'est l'assistante sociale du CCAS qui avait fait la demande pour moi en septembre. je sais pas comment contester, est ce que vous pouvez m'aider ?

merci
Kevin Dos Santos
12 allée des Cèdres 38800 Le Pont-de-Claix
06 39 98 90 11
"""


@mail("010-fsl-energie-sans-charset-lf.eml", "open", dossier="MED-2026-00008",
      triage="logement_fsl / prematuree / none", sender=KEVIN[1],
      exercises="`Content-Type: text/plain` with NO charset parameter, 8bit body actually UTF-8 (must be sniffed, not decoded as us-ascii/latin-1); bare LF line endings (the only LF file among the well-formed ones); lower-case, no-accent style; FSL refusal just received, no recourse yet")
def m010():
    d = t(10, 14, 23, 17, 2)
    h = delivery(KEVIN[1], d, "mail.netcourrier.example", "203.0.113.19", "010", tls=False)
    h += [("Date", rfc_date(d)),
          ("From", addr(*KEVIN)),
          ("To", MBOX),
          ("Subject", "refus aide FSL electricite"),
          ("Message-ID", f"<{hx('010', 12)}.{hx('010b', 8)}@netcourrier.example>"),
          ("MIME-Version", "1.0"),
          ("Content-Type", "text/plain"),
          ("Content-Transfer-Encoding", "8bit"),
          ("X-Mailer", "Netcourrier Webmail 3.2")]
    return message(h, T010.encode("utf-8"), eol=b"\n")


# =========================================================================== 011 base64 body, collège canteen

AURELIE = ("Aurélie Chabert", "aurelie.chabert@laposte.example")
T011 = """Bonjour,

Je souhaite vous saisir concernant la tarification de la demi-pension de mon fils Mathis, élève de 5e au collège Les Sources à Crolles.

Depuis la rentrée de septembre, Mathis est facturé au tarif le plus élevé (4,65 € le repas) alors que notre quotient familial CAF est de 612 €, ce qui devrait nous placer dans la tranche 2. J'ai transmis notre attestation de quotient familial au secrétariat d'intendance du collège le 4 septembre. La gestionnaire m'a répondu que le tarif était calculé par le Département à partir du portail des familles et qu'elle ne pouvait rien modifier.

J'ai écrit au service éducation du Département le 10 septembre puis relancé le 28 septembre via le formulaire de contact, sans aucune réponse. Entre-temps la facture du premier trimestre est arrivée : 288,30 € au lieu d'environ 120 €.

Je vous demande d'intervenir pour que le bon tarif soit appliqué depuis septembre et que la facture soit corrigée.

Avec mes remerciements,

Aurélie Chabert
9 rue du Moulin, 38920 Crolles
06 39 98 25 48
"""


@mail("011-cantine-college-base64.eml", "open", dossier="MED-2026-00009",
      triage="education_jeunesse / recevable / none", sender=AURELIE[1],
      exercises="single-part text/plain UTF-8 with Content-Transfer-Encoding: base64 (Android mail app); From display name as =?UTF-8?B?")
def m011():
    d = t(10, 15, 12, 44, 51)
    h = delivery(AURELIE[1], d, "smtp.laposte.example", "198.51.100.61", "011", auth=spf("laposte.example", "198.51.100.61"))
    h += [("Message-ID", f"<{hx('011', 26)}@email.android.example>"),
          ("Date", rfc_date(d)),
          ("Subject", ew("Tarif demi-pension collège Les Sources - facture erronée", mode="B")),
          ("From", addr(*AURELIE, mode="B")),
          ("To", MBOX),
          ("MIME-Version", "1.0"),
          ("Content-Type", "text/plain; charset=UTF-8"),
          ("Content-Transfer-Encoding", "base64"),
          ("X-Mailer", "Android Mail (Samsung Email 6.1.97.1)")]
    return message(h, b64(T011.encode("utf-8")))


# =========================================================================== 012 HTML only, pothole RD 1532

FRANCK = ("Franck Rey - Rey Immobilier", "f.rey@rey-immobilier.example")
H012 = """<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<style type="text/css">
body { font-family: Verdana, Geneva, sans-serif; font-size: 13px; color: #333333; }
.devis td, .devis th { border: 1px solid #999999; padding: 4px 10px; }
.devis th { background-color: #e8eef4; text-align: left; }
.total td { font-weight: bold; }
.sig { color: #7a7a7a; font-size: 11px; border-top: 2px solid #c8102e; padding-top: 6px; }
</style>
<script type="text/javascript">
  var _rt = window._rt || []; _rt.push(['trackOpen', 'rey-2026-1016-mediation']);
  (function(){ var s=document.createElement('script'); s.src='https://cdn.crm-tracker.example/rt.js'; document.head.appendChild(s); })();
</script>
</head>
<body>
<p>Madame la Médiatrice,</p>
<p>Le <b>3 août 2026</b> vers 22 h 30, en rentrant de Noyarey à Sassenage par la <b>RD 1532</b>, ma voiture (Peugeot 308) a roulé dans un nid-de-poule d'environ 60 cm de large et 15 cm de profondeur, situé juste après le rond-point de la zone d'activités, sur la voie de droite. Le pneu avant droit a éclaté et la jante est voilée. Un autre automobiliste s'est arrêté derrière moi pour la même raison ; la gendarmerie est passée et a fait baliser le trou.</p>
<p>Montant des dommages :</p>
<table class="devis" cellspacing="0">
<tr><th>Poste</th><th>Montant TTC</th></tr>
<tr><td>Dépannage et remorquage</td><td>120,00 €</td></tr>
<tr><td>Pneu Michelin Primacy 225/45 R17</td><td>189,90 €</td></tr>
<tr><td>Jante alu (remplacement)</td><td>312,00 €</td></tr>
<tr><td>Géométrie / parallélisme</td><td>79,00 €</td></tr>
<tr class="total"><td>Total</td><td>700,90 €</td></tr>
</table>
<p>J'ai adressé une réclamation avec les factures et l'attestation du témoin au service territorial des routes le 10 août. Par courrier du 29 septembre, le Département a rejeté ma demande en indiquant qu'un panneau « chaussée déformée » était en place et qu'il n'y avait pas de défaut d'entretien normal. Or ce panneau est situé près de deux kilomètres avant, dans l'autre sens de circulation.</p>
<p>Je conteste ce refus et sollicite votre médiation. Je tiens les photos du trou à votre disposition.</p>
<p>Je vous prie d'agréer, Madame, mes salutations distinguées.</p>
<p>Franck Rey<br>16 rue des Écoles<br>38360 Sassenage<br>06 39 98 71 19</p>
<div class="sig"><img src="https://static.rey-immobilier.example/img/logo-rey-immobilier.png" width="140" height="38" alt="Rey Immobilier"><br>
Rey Immobilier — transactions &amp; gestion — 04 65 71 60 32<br>
<a href="https://www.rey-immobilier.example/?utm_source=mail">www.rey-immobilier.example</a></div>
<img src="https://t.crm-tracker.example/o/rey-2026-1016-mediation.gif" width="1" height="1" alt="" style="display:none">
<script>document.write('<img src="https://t.crm-tracker.example/px?u=' + encodeURIComponent(location.href) + '">');</script>
</body></html>
"""


@mail("012-nid-de-poule-rd1532-html-seul.eml", "open", dossier="MED-2026-00010",
      triage="routes_mobilite / recevable / none", sender=FRANCK[1],
      exercises="HTML-only (no text/plain part): <style>, a <table> of damages, remote <img> (logo + 1x1 tracking pixel), two <script> blocks (strings `trackOpen`, `crm-tracker`, `document.write` must not survive sanitising); UTF-8 QP; claim rejected by the roads service")
def m012():
    d = t(10, 16, 9, 26, 3)
    h = delivery(FRANCK[1], d, "mail.rey-immobilier.example", "203.0.113.58", "012", auth=spf("rey-immobilier.example", "203.0.113.58"))
    h += [("Date", rfc_date(d)),
          ("From", addr(*FRANCK)),
          ("To", addr("Médiation Isère", MBOX)),
          ("Message-ID", f"<{hx('012', 10)}.{hx('012z', 20)}@rey-immobilier.example>"),
          ("Subject", ew("Nid-de-poule RD 1532 - contestation du refus d'indemnisation")),
          ("MIME-Version", "1.0"),
          ("Content-Type", "text/html; charset=utf-8"),
          ("Content-Transfer-Encoding", "quoted-printable"),
          ("X-Mailer", "Zimbra 9.0.0_GA_4583 (ZimbraWebClient - GC128 (Win)/9.0.0_GA_4583)")]
    return message(h, qp(H012))


# =========================================================================== 013 auto-reply (Auto-Submitted) that looks like a reply

@mail("013-absence-auto-submitted-re-MED-2026-00010.eml", "auto-reply", dossier="MED-2026-00010",
      sender=FRANCK[1],
      exercises="out-of-office with `Auto-Submitted: auto-replied (zimbra; vacation)`; the Subject is `Re: Votre demande de médiation MED-2026-00010 — accusé de réception` and In-Reply-To is our ack, so it LOOKS like a citizen reply: must not be attached as a citizen message, must not trigger any answer")
def m013():
    d = t(10, 16, 9, 40, 12)
    h = delivery(FRANCK[1], d, "mail.rey-immobilier.example", "203.0.113.58", "013", auth=spf("rey-immobilier.example", "203.0.113.58"))
    h += [("Date", rfc_date(d)),
          ("From", addr(*FRANCK)),
          ("To", addr(MBOX_NAME, MBOX)),
          ("Message-ID", f"<{hx('013', 10)}.{hx('013z', 20)}@rey-immobilier.example>"),
          ("In-Reply-To", ack_mid("MED-2026-00010")),
          ("References", ack_mid("MED-2026-00010")),
          ("Subject", ew("Re: " + ack_subject("MED-2026-00010"))),
          ("MIME-Version", "1.0"),
          ("Content-Type", "text/plain; charset=utf-8"),
          ("Content-Transfer-Encoding", "quoted-printable"),
          ("Auto-Submitted", "auto-replied (zimbra; vacation)"),
          ("Precedence", "bulk")]
    body = """Absence du bureau

Bonjour,

Je suis absent de l'agence jusqu'au lundi 26 octobre inclus. Pour toute question urgente concernant une transaction ou une location, merci de contacter l'agence au 04 65 71 60 32 ou accueil@rey-immobilier.example.

Cordialement,
Franck Rey
"""
    return message(h, qp(body))


# =========================================================================== 014 Orange webmail, titre de séjour

AISSATA = ("Aissata Konate", "aissata.konate@orange.example")
T014 = """Bonjour madame monsieur,

je m'appelle Aissata Konate, j'habite a Grenoble depuis 2019. Mon titre de sejour (carte pluriannuelle salarie) expire le 30 novembre 2026. Depuis le mois d'aout j'essaie de faire le renouvellement sur le site ANEF mais le site me met toujours une erreur a l'etape des justificatifs, et a la prefecture on me dit qu'il n'y a pas de rendez vous au guichet et qu'il faut passer par internet.

Mon employeur (je suis aide a domicile dans une association) m'a dit que si je n'ai pas au moins une attestation de prolongation il devra suspendre mon contrat en decembre. J'ai deux enfants a l'ecole, j'ai peur de tout perdre.

Une amie m'a dit que le mediateur du Departement pouvait aider. Est ce que vous pouvez appeler la prefecture pour moi ?

Merci beaucoup
Aissata Konate
15 rue Leon Jouhaux 38100 Grenoble
06 39 98 44 86"""


@mail("014-titre-de-sejour-hors-champ-orange.eml", "open", dossier="MED-2026-00011",
      triage="hors_champ / irrecevable / prefecture", sender=AISSATA[1],
      exercises="Orange webmail (JavaMail Message-ID without a dot, X-WUM-* headers, Date with (CEST) comment): multipart/alternative UTF-8 QP; text written without any accent")
def m014():
    d = t(10, 19, 10, 11, 47)
    stamp = ms(d)
    bd = b_javamail("014", stamp)
    h = delivery(AISSATA[1], d, "smtp-out.orange.example", "198.51.100.201", "014", auth=spf("orange.example", "198.51.100.201"))
    h += [("Date", f"{rfc_date(d)} {tzcomment(d)}"),
          ("From", addr(*AISSATA)),
          ("Reply-To", addr(*AISSATA)),
          ("To", MBOX),
          ("Message-ID", f"<{int(hx('014', 8), 16) % 2000000000}.{int(hx('014b', 4), 16)}.{stamp}.JavaMail.www@wwinf1m18>"),
          ("Subject", "titre de sejour urgent"),
          ("MIME-Version", "1.0"),
          ("Content-Type", f'multipart/alternative; \n\tboundary="{bd}"'),
          ("X-Originating-IP", "[192.0.2.87]"),
          ("X-WUM-FROM", "|~|"),
          ("X-WUM-TO", "|~|"),
          ("X-WUM-REPLYTO", "|~|")]
    html = "<html><head></head><body><p>" + "</p><p>".join(html_escape(p).replace("\n", "<br>") for p in T014.split("\n\n")) + "</p></body></html>"
    body = multipart(bd, [
        part([("Content-Type", "text/plain; charset=UTF-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp(T014)),
        part([("Content-Type", "text/html; charset=UTF-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp(html)),
    ])
    return message(h, body)


# =========================================================================== 015 latin-1 with no MIME headers at all, APL

JOSIANE = ("Josiane Bonnet", "josiane.bonnet@aliceadsl.example")
T015 = """Madame, Monsieur,

Je suis retraitée et je vis seule dans un appartement loué à un particulier à Saint-Martin-d'Hères. Depuis le mois d'août, la CAF a supprimé mon aide au logement (APL) au motif que je n'aurais pas renvoyé ma déclaration de ressources. Or je l'ai déposée à l'accueil de la CAF le 3 juillet, on m'a même donné un récépissé.

Sans l'APL (198 euros par mois) je n'arrive plus à payer mon loyer de 540 euros. J'ai écrit deux fois à la CAF et passé des heures au téléphone, on me répond que le dossier est « en cours de traitement ». Ma propriétaire commence à s'impatienter et parle de préavis.

Comme c'est le Département qui s'occupe du social, je pense que vous pouvez débloquer la situation avec la CAF. Je vous remercie par avance.

Josiane Bonnet
2 rue Paul-Langevin
38400 Saint-Martin-d'Hères
04 65 71 37 50
"""


@mail("015-apl-caf-latin1-sans-entete-mime.eml", "open", dossier="MED-2026-00012",
      triage="hors_champ / irrecevable / caf", sender=JOSIANE[1],
      exercises="no MIME-Version, no Content-Type, no Content-Transfer-Encoding; 8-bit ISO-8859-1 body (é = 0xE9, « » = 0xAB/0xBB): must be detected as latin-1, not utf-8")
def m015():
    d = t(10, 19, 18, 55, 30)
    h = delivery(JOSIANE[1], d, "smtp.aliceadsl.example", "203.0.113.91", "015", tls=False)
    h += [("Message-ID", f"<{hx('015', 14)}@josiane-pc>"),
          ("Date", rfc_date(d, zero_pad=True)),
          ("From", addr(*JOSIANE)),
          ("To", MBOX),
          ("Subject", "Suppression de mon APL")]
    return message(h, hardwrap(T015, 72).encode("latin-1"))


# =========================================================================== 016 web form without e-mail, PCH

V016 = {"Civilité": "Monsieur", "Nom": "MICHALLET", "Prénom": "Roger", "Adresse": "18 route de la Motte",
        "Code postal": "38350", "Commune": "La Mure", "Téléphone": "04 65 71 81 26", "Courriel": "",
        "Service concerné": "Direction de l'autonomie",
        "Démarches déjà effectuées": "RAPO déposé le 12 juin 2026, rejeté par courrier du 4 septembre 2026",
        "Objet de la demande": "Baisse des heures d'aide humaine de ma PCH"}
T016 = """Je suis tétraplégique incomplet depuis un accident du travail en 2009 et je vis seul à La Mure.
Au renouvellement de ma prestation de compensation en mai 2026, mes heures d'aide humaine ont été ramenées de 6 h à 3 h 30 par jour, sans que personne ne soit venu chez moi. Avec 3 h 30 je n'ai plus personne le soir pour le coucher et je dois rester au fauteuil jusqu'au passage de l'infirmière le lendemain.
J'ai fait un recours (RAPO) en juin avec un certificat de mon médecin rééducateur. Il a été rejeté le 4 septembre avec une lettre type.
Je n'ai pas d'adresse mail, c'est ma voisine qui remplit ce formulaire pour moi. Merci de m'appeler au 04 65 71 81 26 (plutôt le matin) ou de m'écrire par courrier."""


@mail("016-formulaire-pch-sans-courriel.eml", "open", dossier="MED-2026-00013",
      triage="autonomie_handicap / recevable / none", sender="(none: no Reply-To, `Courriel :` line empty; contact is postal address + phone)",
      exercises="web form WITHOUT e-mail: no Reply-To header, the line is `Courriel :` with nothing after the colon; no acknowledgement can be e-mailed")
def m016():
    return form_mail("2026-004952", t(10, 20, 11, 2, 17), V016, T016, "016")


# =========================================================================== 017 Gmail, =?UTF-8?Q? subject, JPEG photo

JULIEN = ("Julien Berthet", "julien.berthet.38@gmail.example")
T017 = """Bonjour,

Hier soir (mardi 20 octobre) vers 17h40 j'ai pris un énorme nid-de-poule sur la RD 1006 entre Saint-Quentin-Fallavier et Bourgoin, environ 300 m après la bretelle de la zone de Chesnes, dans le sens Lyon > Bourgoin. Le trou fait facilement 50 cm et il était rempli d'eau, impossible à voir. Pneu éclaté et jante abîmée, le garage m'annonce 430 € de réparation.

Je vous joins la photo que j'ai prise sur place après avoir mis la roue de secours.

Je n'ai encore fait aucune démarche, je ne sais pas du tout à qui m'adresser. Mon assurance me dit de me retourner contre le gestionnaire de la route. C'est vous ? Sinon pouvez-vous me dire à quel service écrire ?

Merci,
Julien Berthet
4 rue des Artisans, 38070 Saint-Quentin-Fallavier
06 39 98 58 37
"""


@mail("017-nid-de-poule-rd1006-photo-jpeg.eml", "open", dossier="MED-2026-00014",
      triage="routes_mobilite / prematuree / none", sender=JULIEN[1],
      exercises="Gmail multipart/mixed(multipart/alternative + image/jpeg): Subject =?UTF-8?Q?…?=; a real JPEG photo (Pillow, ~1280x960, EXIF Make/Model/DateTime) with Content-ID and X-Attachment-Id; no prior claim")
def m017():
    d = t(10, 21, 8, 14, 9)
    h = gmail_delivery(JULIEN[1], d, "017")
    h += gmail_headers("017", JULIEN, d, "Nid de poule sur la départementale, pneu éclaté")
    outer = "000000000000" + hx("017o", 16)
    h.append(("Content-Type", f'multipart/mixed; boundary="{outer}"'))
    bd, alt = gmail_alt("017", T017)
    jpg = pothole_jpeg(1006)
    att_id = "f_mh0" + alnum("017a", 6).lower()
    body = multipart(outer, [
        part([("Content-Type", f'multipart/alternative; boundary="{bd}"')], alt),
        part([("Content-Type", 'image/jpeg; name="IMG_20261020_174210.jpg"'),
              ("Content-Disposition", 'attachment; filename="IMG_20261020_174210.jpg"'),
              ("Content-Transfer-Encoding", "base64"),
              ("Content-ID", f"<{att_id}>"),
              ("X-Attachment-Id", att_id)], b64(jpg)),
    ])
    return message(h, body)


# =========================================================================== 018 Outlook auto-reply

@mail("018-reponse-automatique-outlook.eml", "auto-reply", dossier="MED-2026-00003",
      sender=NATHALIE[1],
      exercises="Outlook out-of-office: `X-Auto-Response-Suppress: All`, Subject `Réponse automatique : Dossier MED-2026-00003 — pièces complémentaires`, In-Reply-To a (fake) message of ours; NO Auto-Submitted header")
def m018():
    d = t(10, 21, 14, 3, 2)
    subject = "Réponse automatique : Dossier MED-2026-00003 — pièces complémentaires"
    h = delivery(NATHALIE[1], d, "EUR05-AM6-obe.outbound.protection.outlook.example", "203.0.113.146", "018",
                 auth=spf("outlook.example", "203.0.113.146"))
    h += [("From", addr(*NATHALIE, charset="iso-8859-1")),
          ("To", addr(MBOX_NAME, MBOX, charset="utf-8", mode="B")),
          ("Subject", ew(subject, "utf-8", "B")),
          ("Thread-Topic", ew("Dossier MED-2026-00003 — pièces complémentaires", "utf-8", "B")),
          ("Thread-Index", base64.b64encode(hashlib.sha1(b"018").digest()[:22]).decode()),
          ("Date", rfc_date(d, UTC)),
          ("Message-ID", mid_outlook("018")),
          ("References", "<msg.MED-2026-00003.1.fake@isere.example>"),
          ("In-Reply-To", "<msg.MED-2026-00003.1.fake@isere.example>"),
          ("Content-Language", "fr-FR"),
          ("X-MS-Has-Attach", ""),
          ("X-MS-TNEF-Correlator", ""),
          ("X-Auto-Response-Suppress", "All"),
          ("X-MS-Exchange-Organization-SCL", "-1"),
          ("MIME-Version", "1.0")]
    text = """Bonjour,

Je suis absente jusqu'au lundi 2 novembre inclus et je n'ai qu'un accès très limité à mes messages.
Pour toute urgence concernant mon père, vous pouvez joindre mon frère, Olivier Guillot, au 06 39 98 20 14.

Cordialement,
Nathalie Guillot
"""
    bd = b_outlook("018")
    h.append(("Content-Type", f'multipart/alternative;\n\tboundary="{bd}"'))
    body = multipart(bd, [
        part([("Content-Type", 'text/plain; charset="iso-8859-1"'), ("Content-Transfer-Encoding", "quoted-printable")], qp(text, "iso-8859-1")),
        part([("Content-Type", 'text/html; charset="iso-8859-1"'), ("Content-Transfer-Encoding", "quoted-printable")], qp(outlook_html(text), "iso-8859-1")),
    ])
    return message(h, body)


# =========================================================================== 019 reference from a different address

OLIVIER = ("Olivier Guillot", "olivier.guillot@sfr.example")
Q019 = """________________________________
De : Médiation départementale de l'Isère <mediation@isere.example>
Envoyé : mercredi 21 octobre 2026 14:02
À : Guillot Nathalie <nathalie.guillot@outlook.example>
Objet : Dossier MED-2026-00003 — pièces complémentaires

Madame,

Dans le cadre de l'examen de votre demande (référence MED-2026-00003), pourriez-vous nous transmettre la facture de septembre 2026 de la Résidence Les Tilleuls ainsi que la réponse de la Direction de l'autonomie du 22 septembre ?

Cordialement,
Médiation départementale"""
T019 = """Bonjour Madame,

Je suis le frère de Nathalie Guillot. Elle est en congés à l'étranger jusqu'au 2 novembre et m'a transféré votre message pour que je vous réponde.

Je vous confirme que la facture de septembre de notre père applique toujours le tarif dépendance GIR 1-2. Je n'ai pas les documents sous la main, Nathalie vous les enverra à son retour.

Je dois aussi vous signaler que notre père a fait une nouvelle chute le 18 octobre et qu'il est de nouveau hospitalisé depuis. Nous craignons que l'EHPAD facture encore le mois complet.

Vous pouvez me joindre au 06 39 98 20 14.

Olivier Guillot

Le 21 octobre 2026 18:12:40 GMT+02:00, Guillot Nathalie <nathalie.guillot@outlook.example> a écrit :
""" + "\n".join(">" + line for line in Q019.split("\n")) + "\n"


@mail("019-reference-MED-2026-00003-autre-expediteur.eml", "flag", dossier="MED-2026-00003",
      sender=OLIVIER[1],
      exercises="Subject `Re: TR: Dossier MED-2026-00003 — pièces complémentaires` quotes an existing reference but the sender is NOT the dossier's address (nathalie.guillot@outlook.example); In-Reply-To/References point to the sister's forward, unknown to us; K-9 Mail style quoting (`>` without space). Must be flagged for a human, NOT attached to MED-2026-00003 automatically")
def m019():
    d = t(10, 21, 20, 31, 55)
    fwd = mid_outlook("019-fwd")
    h = delivery(OLIVIER[1], d, "smtp-out.sfr.example", "198.51.100.134", "019", auth=spf("sfr.example", "198.51.100.134"))
    h += [("MIME-Version", "1.0"),
          ("In-Reply-To", fwd),
          ("References", fwd),
          ("User-Agent", "K-9 Mail for Android"),
          ("Content-Type", "text/plain;\n charset=UTF-8"),
          ("Content-Transfer-Encoding", "quoted-printable"),
          ("Subject", ew("Re: TR: Dossier MED-2026-00003 — pièces complémentaires")),
          ("From", addr(*OLIVIER)),
          ("Date", rfc_date(d)),
          ("To", addr(MBOX_NAME, MBOX)),
          ("Message-ID", f"<{hx('019', 8).upper()}-{hx('019b', 4).upper()}@email.android.example>")]
    return message(h, qp(T019))


# =========================================================================== 020 Gmail, neighbour dispute

DIDIER = ("Didier Cottaz", "didier.cottaz@gmail.example")
T020 = """Bonjour,

J'habite une maison au 210 chemin du Bois à Tullins. Mon voisin a planté il y a six ans une haie de thuyas en limite de propriété, qui dépasse maintenant les 5 mètres et me prive de soleil tout l'après-midi. En plus son chien aboie toute la journée quand il est au travail.

Je lui ai parlé plusieurs fois, puis je lui ai envoyé une lettre recommandée en juin pour lui demander de tailler la haie à 2 mètres comme le prévoit la loi. Aucune réaction. La mairie m'a répondu que c'était un litige entre particuliers et qu'elle ne pouvait rien faire.

Est-ce que le médiateur du Département peut convoquer mon voisin pour trouver une solution ? Je voudrais éviter d'aller au tribunal.

Cordialement
Didier Cottaz
06 39 98 12 90
"""


@mail("020-voisinage-haie-hors-champ-gmail.eml", "open", dossier="MED-2026-00015",
      triage="hors_champ / irrecevable / conciliateur_justice", sender=DIDIER[1],
      exercises="Gmail multipart/alternative; dispute between private persons (hedge, dog); 041 is a byte-identical copy of this file")
def m020():
    d = t(10, 22, 13, 47, 26)
    h = gmail_delivery(DIDIER[1], d, "020")
    h += gmail_headers("020", DIDIER, d, "Probleme avec mon voisin - haie et chien")
    bd, body = gmail_alt("020", T020)
    h.append(("Content-Type", f'multipart/alternative; boundary="{bd}"'))
    return message(h, body)


# =========================================================================== 021 Apple Mail, THD, PDF inline inside alternative

STEPHANE = ("Stéphane Gaillard", "s.gaillard@menuiserie-gaillard.example")
T021 = """Madame la Médiatrice,

Je dirige la Menuiserie Gaillard (8 salariés), installée depuis 1997 dans la zone artisanale des Prés à Saint-Geoire-en-Valdaine.

La fibre a été déployée dans le bourg en 2025, mais notre zone artisanale, située à 800 mètres, n'a pas été raccordée. Nous disposons d'un ADSL à 2 Mb/s qui ne nous permet plus d'envoyer nos plans aux architectes ni d'utiliser notre logiciel de chiffrage en ligne. Nous avons dû renoncer en septembre à répondre à un appel d'offres faute de pouvoir déposer le dossier à temps.

J'ai sollicité le service Très haut débit du Département en mars, puis de nouveau en juin 2026. La réponse du 2 juillet (jointe) indique que la zone n'est « pas inscrite dans une phase de déploiement avant 2028 », sans autre explication, alors que les maisons voisines de la zone sont éligibles. Mes relances de juillet et de septembre sont restées sans suite.

Je sollicite votre intervention pour obtenir une explication et, si possible, un calendrier réaliste de raccordement.

Avec mes remerciements,

Stéphane Gaillard
Menuiserie Gaillard — ZA des Prés, 38620 Saint-Geoire-en-Valdaine
04 65 71 19 84
"""

THD_BODY = """Monsieur,

Vous avez appelé notre attention sur l'éligibilité au très haut débit de la zone artisanale des Prés, à Saint-Geoire-en-Valdaine, et nous vous en remercions.

Après vérification auprès de notre délégataire, cette zone n'est pas inscrite dans une phase de déploiement avant 2028. Les raccordements sont programmés selon un ordre défini par le schéma départemental, qui tient compte des contraintes techniques et du coût des prises.

Nous vous invitons à consulter régulièrement la carte d'éligibilité publiée sur le site du Département.

Nous vous prions d'agréer, Monsieur, l'expression de nos salutations distinguées."""


def thd_pdf():
    return letter_pdf(created=t(7, 2, 9, 15), header=["Département de l'Isère — Service Très haut débit",
                      "Direction des mobilités et du numérique — CS 00000 — 38022 Grenoble Cedex 1", "thd@isere.example"],
                      sender=["Réf. : THD/2026/0614"], recipient=["Menuiserie Gaillard", "M. Stéphane Gaillard", "ZA des Prés",
                      "38620 Saint-Geoire-en-Valdaine"], place_date="Grenoble, le 2 juillet 2026",
                      subject="Votre demande d'éligibilité au très haut débit", body=THD_BODY,
                      signature=["Le chef du service", "Très haut débit", "Pascal Roussel"], title="Reponse THD")


@mail("021-thd-zone-artisanale-applemail-pdf.eml", "open", dossier="MED-2026-00016",
      triage="autres_politiques / recevable / none", sender=STEPHANE[1],
      exercises="Apple Mail (macOS) quirk: multipart/alternative whose HTML branch is a multipart/mixed (html, PDF, html); the PDF is `Content-Disposition: inline` with RFC 2231 `filename*=utf-8''R%C3%A9ponse%20…` and an encoded-word `name=`; it must still be extracted as an attachment")
def m021():
    d = t(10, 23, 9, 58, 14)
    outer, inner = b_apple("021o"), b_apple("021i")
    h = delivery(STEPHANE[1], d, "smtp.menuiserie-gaillard.example", "203.0.113.33", "021",
                 auth=spf("menuiserie-gaillard.example", "203.0.113.33"))
    h += [("From", addr(*STEPHANE)),
          ("Content-Type", f'multipart/alternative;\n\tboundary="{outer}"'),
          ("Mime-Version", "1.0 (Mac OS X Mail 16.0 \\(3826.400.131.1.6\\))"),
          ("Subject", ew("Très haut débit - zone artisanale des Prés non raccordée")),
          ("Message-Id", mid_apple("021", "menuiserie-gaillard.example")),
          ("Date", rfc_date(d)),
          ("To", MBOX),
          ("X-Mailer", "Apple Mail (2.3826.400.131.1.6)")]
    before, after = T021.split("Je sollicite votre intervention")
    after = "Je sollicite votre intervention" + after
    text = T021 + "\n<Réponse Isère THD.pdf>\n"
    def h_(s):
        return '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">' + \
               "".join(f"<div>{html_escape(l) if l else '<br>'}</div>" for l in s.split("\n")) + "</body></html>"
    fname = "Réponse Isère THD.pdf"
    fname_2231 = "utf-8''" + "".join(c if c.isascii() and c.isalnum() or c in ".-_" else "".join("%%%02X" % b for b in c.encode()) for c in fname)
    body = multipart(outer, [
        part([("Content-Transfer-Encoding", "quoted-printable"), ("Content-Type", "text/plain;\n\tcharset=utf-8")], qp(text)),
        part([("Content-Type", f'multipart/mixed;\n\tboundary="{inner}"')], multipart(inner, [
            part([("Content-Transfer-Encoding", "quoted-printable"), ("Content-Type", "text/html;\n\tcharset=utf-8")], qp(h_(before))),
            part([("Content-Disposition", f"inline;\n\tfilename*={fname_2231}"),
                  ("Content-Type", f'application/pdf;\n\tx-unix-mode=0644;\n\tname="{ew(fname, lower=False)}"'),
                  ("Content-Transfer-Encoding", "base64")], b64(thd_pdf())),
            part([("Content-Transfer-Encoding", "quoted-printable"), ("Content-Type", "text/html;\n\tcharset=utf-8")], qp(h_(after))),
        ])),
    ])
    return message(h, body)


# =========================================================================== 022 web form with HTML alternative, ASSFAM

V022 = {"Civilité": "Madame", "Nom": "PERRIN", "Prénom": "Sandrine", "Adresse": "31 rue de Chartreuse",
        "Code postal": "38340", "Commune": "Voreppe", "Téléphone": "06 39 98 26 61",
        "Courriel": "sandrine.perrin@laposte.example", "Service concerné": "Direction de l'enfance et de la famille",
        "Démarches déjà effectuées": "Nouvelle demande d'agrément déposée en janvier 2026, refusée le 12 juin 2026 ; courrier au service le 8 juillet 2026 resté sans réponse",
        "Objet de la demande": "Refus d'un nouvel agrément d'assistante familiale"}
T022 = """J'ai été assistante familiale pour l'ASE de l'Isère de 2008 à 2021 et j'ai accueilli onze enfants pendant ces années.
En 2021 mon agrément a été retiré après un signalement qui a ensuite été classé sans suite par le parquet. À l'époque je n'ai pas contesté car j'étais épuisée.
J'ai redéposé une demande d'agrément en janvier 2026. Elle a été refusée le 12 juin, le courrier parle seulement de « l'antécédent de 2021 » ; la puéricultrice qui est venue chez moi en mars m'avait pourtant dit que son évaluation était favorable.
J'ai écrit au service le 8 juillet pour demander un entretien et l'accès à mon dossier. Je n'ai jamais eu de réponse.
Je voudrais être réévaluée de façon équitable, sur ma situation d'aujourd'hui."""


@mail("022-formulaire-assfam-avec-html.eml", "open", dossier="MED-2026-00017",
      triage="protection_enfance / recevable / none", sender="sandrine.perrin@laposte.example (Reply-To)",
      exercises="web form with a multipart/alternative (text/plain + text/html table of the fields); the text/plain part is the canonical one")
def m022():
    return form_mail("2026-005033", t(10, 26, 10, 30, 44), V022, T022, "022", html=True)


# =========================================================================== 023 Outlook, .docx that is a PDF, obligé alimentaire

BERNARD = ("FAYOLLE Bernard", "bernard.fayolle@orange.example")
T023 = """Madame, Monsieur,

Mon épouse Monique et moi-même contestons la décision du 3 juin 2026 qui fixe notre participation, au titre de l'obligation alimentaire, aux frais d'hébergement en EHPAD de la mère de mon épouse, Mme Germaine Ravix, à 280 euros par mois avec effet rétroactif au 1er janvier.

Nous sommes tous deux retraités (2 140 euros de pensions à deux) et nous remboursons encore un prêt pour la mise aux normes de notre maison. Par ailleurs, mon épouse n'a plus aucun contact avec sa mère depuis 1986, date à laquelle celle-ci a quitté le foyer en la laissant à la charge de ses grands-parents ; nous pensions que cette situation serait prise en compte.

Nous avons formé un recours gracieux le 10 juillet 2026, rejeté par courrier du 18 septembre sans que nos charges aient été examinées. Vous trouverez ci-joint notre contestation détaillée.

Nous sollicitons votre médiation afin que notre situation soit réexaminée.

Veuillez agréer, Madame, Monsieur, nos salutations respectueuses.

Bernard et Monique Fayolle
6 place de la Halle
38140 Rives
04 65 71 90 43
"""

FAYOLLE_BODY = """Madame, Monsieur,

Par décision du 3 juin 2026, la commission d'admission à l'aide sociale a fixé à 280 euros par mois notre participation au titre de l'obligation alimentaire envers Mme Germaine Ravix, hébergée à l'EHPAD Le Grand Séchoir de Rives, avec effet au 1er janvier 2026.

Nous contestons cette décision pour les raisons suivantes.

1. Nos ressources : nos pensions de retraite s'élèvent à 2 140 euros nets par mois pour deux personnes. Nous remboursons un prêt travaux de 412 euros par mois jusqu'en 2029 et acquittons une taxe foncière de 1 386 euros par an. Le reste à vivre retenu par la décision ne tient pas compte de ces charges.

2. La situation familiale : Mme Monique Fayolle, fille de Mme Ravix, a été abandonnée par sa mère en 1986, à l'âge de 14 ans, et élevée par ses grands-parents. Elle n'a plus eu aucun contact avec elle depuis. Nous demandons que ce manquement grave aux obligations parentales soit pris en considération.

3. L'effet rétroactif : la somme de 2 520 euros réclamée pour la période de janvier à septembre 2026 nous place dans une grande difficulté.

Nous vous demandons en conséquence de réexaminer notre situation et de nous décharger de cette participation, ou à défaut d'en réduire fortement le montant et de renoncer à l'effet rétroactif."""


def fayolle_pdf():
    return letter_pdf(created=t(10, 26, 14, 20), header=None,
                      sender=["Bernard et Monique Fayolle", "6 place de la Halle", "38140 Rives", "04 65 71 90 43"],
                      recipient=["Département de l'Isère", "Direction de l'autonomie", "Service de l'aide sociale", "38022 Grenoble Cedex 1"],
                      place_date="Rives, le 26 octobre 2026",
                      subject="Contestation de notre participation au titre de l'obligation alimentaire (Mme Germaine Ravix)",
                      body=FAYOLLE_BODY, signature=["Bernard Fayolle", "Monique Fayolle"], serif=True,
                      title="Contestation obligation alimentaire")


@mail("023-oblige-alimentaire-docx-qui-est-un-pdf.eml", "open", dossier="MED-2026-00018",
      triage="autonomie_personnes_agees / recevable / none", sender=BERNARD[1],
      exercises="Outlook multipart/mixed; attachment named `Contestation obligation alimentaire Fayolle.docx`, declared application/vnd.openxmlformats-officedocument.wordprocessingml.document, but the bytes are a PDF (%PDF-1.3): type must be sniffed from content; Outlook-style Content-Disposition with size/creation-date")
def m023():
    d = t(10, 26, 15, 22, 8)
    h = delivery(BERNARD[1], d, "smtp-out.orange.example", "198.51.100.202", "023", auth=spf("orange.example", "198.51.100.202"))
    h += outlook_headers("023", BERNARD, MBOX, "Obligation alimentaire - contestation de la décision du 3 juin 2026", d, has_attach=True)
    h = [x for x in h if x[0] not in ("msip_labels",)]
    h.append(("X-Mailer", "Microsoft Outlook 16.0"))
    mixed, alt = b_outlook("023", "004"), b_outlook("023", "000")
    h.append(("Content-Type", f'multipart/mixed;\n\tboundary="{mixed}"'))
    pdf = fayolle_pdf()
    fname = "Contestation obligation alimentaire Fayolle.docx"
    cd = rfc_date(sec(d, -3600), UTC).replace("+0000", "GMT")
    body = multipart(mixed, [
        part([("Content-Type", f'multipart/alternative;\n\tboundary="{alt}"')], multipart(alt, [
            part([("Content-Type", 'text/plain; charset="iso-8859-1"'), ("Content-Transfer-Encoding", "quoted-printable")], qp(T023, "iso-8859-1")),
            part([("Content-Type", 'text/html; charset="iso-8859-1"'), ("Content-Transfer-Encoding", "quoted-printable")], qp(outlook_html(T023), "iso-8859-1")),
        ])),
        part([("Content-Type", f'application/vnd.openxmlformats-officedocument.wordprocessingml.document;\n\tname="{fname}"'),
              ("Content-Description", fname),
              ("Content-Disposition", f'attachment;\n\tfilename="{fname}"; size={len(pdf)};\n\tcreation-date="{cd}";\n\tmodification-date="{cd}"'),
              ("Content-Transfer-Encoding", "base64")], b64(pdf)),
    ])
    return message(h, body)


# =========================================================================== 024 newsletter

T024 = """LA LETTRE DE L'AMCT — n° 47 — octobre 2026
Association des médiateurs des collectivités territoriales

ÉDITO
Chères et chers collègues, la saison des rapports annuels approche. Cette lettre revient sur les rencontres de Lyon et sur la nouvelle grille commune de classement des saisines.

AGENDA
- 19 novembre 2026 : webinaire « Recevabilité et réorientation des saisines hors champ » (inscription en ligne)
- 3 décembre 2026 : journée régionale Auvergne-Rhône-Alpes, Clermont-Ferrand
- Mars 2027 : assemblée générale annuelle

RETOUR SUR LES RENCONTRES DE LYON
Plus de 120 médiateurs de communes, départements et régions ont échangé sur la médiation sociale, les délais de réponse des services et l'articulation avec les délégués du Défenseur des droits.

RESSOURCES
La nouvelle fiche pratique « Rédiger un rapport annuel conforme à la loi Engagement et proximité » est disponible dans l'espace adhérents.

Vous recevez cette lettre car vous êtes adhérent de l'AMCT.
Se désinscrire : https://lettre.amct-mediation.example/desinscription?u=7f3a21&l=lettre-info
"""


@mail("024-lettre-amct-liste-diffusion.eml", "list", sender="lettre@amct-mediation.example",
      exercises="mailing-list newsletter: List-Id, List-Unsubscribe (mailto + https), List-Unsubscribe-Post, Precedence: bulk, Return-Path on a bounce-handling address; multipart/alternative with a styled HTML newsletter")
def m024():
    d = t(10, 27, 6, 0, 4)
    env = "bounce-lettre-info+mediation=isere.example@amct-mediation.example"
    h = delivery(env, d, "mta3.amct-mediation.example", "203.0.113.201", "024", auth=spf("amct-mediation.example", "203.0.113.201"))
    bd = "=_" + hx("024", 32)
    h += [("Date", rfc_date(d)),
          ("From", addr("La lettre de l'AMCT", "lettre@amct-mediation.example")),
          ("To", MBOX),
          ("Subject", ew("La lettre de l'AMCT n° 47 — rencontres de Lyon, webinaire recevabilité")),
          ("Message-ID", f"<lettre-info.47.{hx('024b', 12)}@amct-mediation.example>"),
          ("List-Id", "Lettre d'information AMCT <lettre-info.amct-mediation.example>"),
          ("List-Unsubscribe", "<mailto:unsubscribe-lettre-info@amct-mediation.example?subject=unsubscribe-7f3a21>,\n <https://lettre.amct-mediation.example/desinscription?u=7f3a21&l=lettre-info>"),
          ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
          ("Precedence", "bulk"),
          ("X-Mailer", "Sympa 6.2.72"),
          ("MIME-Version", "1.0"),
          ("Content-Type", f'multipart/alternative; boundary="{bd}"')]
    html = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><style>
body{margin:0;background:#f2f2f2;font-family:Georgia,serif}.wrap{max-width:600px;margin:auto;background:#fff;padding:24px}
h1{color:#2a4d69;font-size:22px}h2{color:#4b86b4;font-size:16px;border-bottom:1px solid #ddd}
.foot{font-size:11px;color:#888}</style></head><body><div class="wrap">
<img src="https://lettre.amct-mediation.example/img/bandeau-47.png" width="600" alt="La lettre de l'AMCT">
<h1>La lettre de l'AMCT — n° 47</h1>
<p>Chères et chers collègues, la saison des rapports annuels approche. Cette lettre revient sur les rencontres de Lyon et sur la nouvelle grille commune de classement des saisines.</p>
<h2>Agenda</h2><ul><li><b>19 novembre 2026</b> : webinaire « Recevabilité et réorientation des saisines hors champ »</li>
<li><b>3 décembre 2026</b> : journée régionale Auvergne-Rhône-Alpes, Clermont-Ferrand</li><li><b>Mars 2027</b> : assemblée générale annuelle</li></ul>
<h2>Retour sur les rencontres de Lyon</h2><p>Plus de 120 médiateurs de communes, départements et régions ont échangé sur la médiation sociale, les délais de réponse des services et l'articulation avec les délégués du Défenseur des droits.</p>
<h2>Ressources</h2><p>La fiche pratique « Rédiger un rapport annuel conforme à la loi Engagement et proximité » est disponible dans l'espace adhérents.</p>
<p class="foot">Vous recevez cette lettre car vous êtes adhérent de l'AMCT. <a href="https://lettre.amct-mediation.example/desinscription?u=7f3a21&amp;l=lettre-info">Se désinscrire</a></p>
<img src="https://lettre.amct-mediation.example/o/7f3a21-47.gif" width="1" height="1" alt=""></div></body></html>
"""
    body = multipart(bd, [
        part([("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp(T024)),
        part([("Content-Type", "text/html; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp(html)),
    ], preamble="This is a multi-part message in MIME format.\n")
    return message(h, body)


# =========================================================================== 025 web form, TSEH, no prior step

V025 = {"Civilité": "Madame", "Nom": "GIRARD", "Prénom": "Émilie", "Adresse": "7 allée des Érables",
        "Code postal": "38090", "Commune": "Villefontaine", "Téléphone": "06 39 98 84 02",
        "Courriel": "emilie.girard.vf@gmail.example", "Service concerné": "Je ne sais pas",
        "Démarches déjà effectuées": "Aucune pour l'instant",
        "Objet de la demande": "Refus de transport scolaire adapté pour mon fils"}
T025 = """Bonjour,
Mon fils Théo, 12 ans, est autiste. La MDPH l'a orienté en ULIS au collège de L'Isle-d'Abeau à la rentrée 2026. Depuis septembre je l'emmène tous les jours en voiture mais je commence un nouveau travail le 16 novembre à 7h.
J'ai fait une demande de transport scolaire adapté et j'ai reçu hier la réponse : refus, au motif que « l'élève peut emprunter les transports en commun ». Théo ne supporte pas le bruit et la foule, il a fait deux crises dans le bus cet été. Tout cela est dans son dossier MDPH.
Je conteste ce refus, je ne sais pas à qui m'adresser et le temps presse. Merci de votre aide.
Émilie Girard"""


@mail("025-formulaire-transport-adapte-prematuree.eml", "open", dossier="MED-2026-00019",
      triage="autonomie_handicap / prematuree / none", sender="emilie.girard.vf@gmail.example (Reply-To)",
      exercises="web form; `Démarches déjà effectuées : Aucune pour l'instant` — the decision was received the day before, no recourse yet")
def m025():
    return form_mail("2026-005061", t(10, 27, 19, 40, 2), V025, T025, "025")


# =========================================================================== 026 follow-up by reply to ack 00004

T026 = """Bonjour,

Merci pour votre accusé de réception.

Je voulais vous dire que la visite qui était prévue le 23 octobre a encore été annulée, la veille au soir, par SMS. La référente m'a enfin rappelée le 26 octobre, elle dit qu'il n'y aura pas de nouveau créneau avant décembre parce qu'il manque un éducateur pour les visites.

Ça fera presque trois mois sans voir mes enfants. Je vous joins rien de plus pour l'instant mais je peux vous envoyer les SMS d'annulation si besoin.

Laetitia Roux
06 39 98 07 72
"""


@mail("026-relance-MED-2026-00004-in-reply-to.eml", "attach", dossier="MED-2026-00004",
      sender=LAETITIA[1],
      exercises="Gmail reply to our acknowledgement: same sender as 005, In-Reply-To/References <ack.MED-2026-00004.fake@isere.example>, Gmail French attribution `Le jeu. 8 oct. 2026 à 09:12, … a écrit :` with a <blockquote class=gmail_quote> in HTML")
def m026():
    d = t(10, 28, 8, 5, 50)
    ack = ack_text("MED-2026-00004", "8 octobre 2026")
    attrib = f"Le jeu. 8 oct. 2026 à 09:12, {MBOX_NAME} <{MBOX}> a écrit :"
    text = T026 + "\n" + attrib + "\n\n" + quote(ack) + "\n"
    html_inner = paras_html(T026) + '<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">' + html_escape(attrib) + \
        '<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">' + \
        paras_html(ack) + "</blockquote></div>"
    h = gmail_delivery(LAETITIA[1], d, "026")
    h += gmail_headers("026", LAETITIA, d, "Re: " + ack_subject("MED-2026-00004"),
                       extra=[("References", ack_mid("MED-2026-00004")), ("In-Reply-To", ack_mid("MED-2026-00004"))])
    bd, body = gmail_alt("026", text, html_inner)
    h.append(("Content-Type", f'multipart/alternative; boundary="{bd}"'))
    return message(h, body)


# =========================================================================== 027 web form, FSL rent debt

V027 = {"Civilité": "Monsieur", "Nom": "MANSOURI", "Prénom": "Hakim", "Adresse": "52 rue Anatole-France, appartement 14",
        "Code postal": "38100", "Commune": "Grenoble", "Téléphone": "06 39 98 73 55",
        "Courriel": "hakim.mansouri@free.example", "Service concerné": "Direction de l'habitat et du logement (FSL)",
        "Démarches déjà effectuées": "Demande d'aide FSL maintien refusée le 8 juillet 2026 ; recours gracieux du 20 juillet 2026 rejeté le 25 septembre 2026",
        "Objet de la demande": "Dette de loyer, refus du FSL, menace d'expulsion"}
T027 = """Madame, Monsieur,
Suite à un arrêt maladie de cinq mois fin 2025 (indemnités journalières versées avec beaucoup de retard), j'ai accumulé une dette de loyer de 3 860 € auprès de mon propriétaire, un particulier.
J'ai repris le travail en mars 2026 (CDI, 1 650 € net) et je paie de nouveau mon loyer intégralement chaque mois depuis avril, plus 100 € pour la dette. Mon propriétaire est d'accord pour un plan d'apurement si le FSL prend en charge une partie de la dette.
Le FSL a refusé au motif d'une « reprise du paiement insuffisante », puis a rejeté mon recours sans tenir compte des six mois de loyers payés que j'avais joints.
Le 12 octobre, un commissaire de justice m'a remis un commandement de payer. J'ai deux enfants de 6 et 10 ans.
Je demande que mon dossier soit réexaminé avant que la procédure aille plus loin."""


@mail("027-formulaire-fsl-dette-locative.eml", "open", dossier="MED-2026-00020",
      triage="logement_fsl / recevable / none", sender="hakim.mansouri@free.example (Reply-To)",
      exercises="web form; long `Démarches déjà effectuées` value containing a semicolon; `Adresse` containing a comma")
def m027():
    return form_mail("2026-005078", t(10, 28, 22, 10, 36), V027, T027, "027")


# =========================================================================== 028 Yahoo, AESH (CDAPH) + separate Éducation nationale matter

CELINE = ("Céline Vincent", "celine.vincent@yahoo.example")
T028 = """Bonjour,

Nous sommes les parents de Noah, 8 ans, en CE2 à l'école du Centre à Vif. Noah a un trouble du spectre de l'autisme et un TDAH.

En juin 2026, la CDAPH a notifié une aide humaine mutualisée de 12 heures par semaine, alors que l'équipe de suivi de scolarisation et son pédopsychiatre demandaient une aide individuelle sur tout le temps scolaire (24 h). Nous avons déposé un recours (RAPO) le 7 juillet avec les bilans ; il a été rejeté le 10 septembre, sans nouvel examen de Noah.

Par ailleurs, depuis la rentrée, l'AESH mutualisée n'est venue que deux demi-journées par semaine car elle est partagée entre quatre écoles, et la maîtresse nous demande régulièrement de venir chercher Noah à 11 h. Nous avons écrit à l'inspection de circonscription, sans réponse.

Nous sollicitons votre médiation sur la décision de la CDAPH, et nous aimerions savoir vers qui nous tourner pour la présence de l'AESH en classe.

Céline et Thomas Vincent
15 rue du Stade, 38450 Vif
06 39 98 39 17
"""


@mail("028-aesh-cdaph-yahoo.eml", "open", dossier="MED-2026-00021",
      triage="autonomie_handicap / recevable / education_nationale", sender=CELINE[1],
      exercises="Yahoo Mail multipart/alternative (JavaMail boundary, ydp HTML); a Département matter (CDAPH notification, RAPO rejected) PLUS a clearly separate out-of-scope one (AESH absent in class -> Éducation nationale)")
def m028():
    d = t(10, 29, 13, 12, 19)
    stamp = ms(d)
    bd = b_javamail("028", stamp)
    h = delivery(CELINE[1], d, "sonic318-21.consmr.mail.ir2.yahoo.example", "192.0.2.118", "028", auth=spf("yahoo.example", "192.0.2.118"))
    h += [("Date", rfc_date(d, UTC).replace("+0000", "+0000 (UTC)")),
          ("From", addr(*CELINE)),
          ("To", f'"{MBOX}" <{MBOX}>'),
          ("Message-ID", f"<{int(hx('028', 8), 16) % 2000000000}.{int(hx('028b', 6), 16)}@mail.yahoo.example>"),
          ("Subject", ew("AESH de notre fils - recours CDAPH rejeté", "utf-8", "B")),
          ("MIME-Version", "1.0"),
          ("Content-Type", f'multipart/alternative; \n\tboundary="{bd}"'),
          ("X-Mailer", "WebService/1.1.22806 YMailNorrin")]
    html = '<html><head></head><body><div class="ydp3e1c2f5fyahoo-style-wrap" style="font-family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:13px;">' + \
        "".join(f'<div dir="ltr" data-setdir="false">{html_escape(l) if l else "<br>"}</div>' for l in T028.split("\n")) + "</div></body></html>"
    body = multipart(bd, [
        part([("Content-Type", "text/plain; charset=UTF-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp(T028)),
        part([("Content-Type", "text/html; charset=UTF-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp(html)),
    ])
    return message(h, body)


# =========================================================================== 029 X-Autoreply only

@mail("029-absent-du-bureau-x-autoreply.eml", "auto-reply", sender=STEPHANE[1],
      exercises="out-of-office recognisable ONLY by `X-Autoreply: yes` and the Subject `Absent du bureau` (no Auto-Submitted, no In-Reply-To, no reference); sender is the address of dossier MED-2026-00016 but nothing must be attached")
def m029():
    d = t(10, 29, 13, 20, 41)
    h = delivery(STEPHANE[1], d, "smtp.menuiserie-gaillard.example", "203.0.113.33", "029",
                 auth=spf("menuiserie-gaillard.example", "203.0.113.33"))
    h += [("Date", rfc_date(d)),
          ("From", addr(*STEPHANE)),
          ("To", MBOX),
          ("Subject", "Absent du bureau"),
          ("Message-ID", f"<autoreply.{hx('029', 16)}@menuiserie-gaillard.example>"),
          ("X-Autoreply", "yes"),
          ("MIME-Version", "1.0"),
          ("Content-Type", "text/plain; charset=utf-8"),
          ("Content-Transfer-Encoding", "8bit")]
    body = """Bonjour,

La menuiserie est fermée pour congés du lundi 26 octobre au dimanche 1er novembre inclus.
Votre message sera traité à notre retour. Pour une urgence sur un chantier en cours : 04 65 71 19 84.

Menuiserie Gaillard
"""
    return message(h, body.encode())


# =========================================================================== 030 multipart never closed

T030 = """Bonjour,

Ma fille Inès est en 4e au collège Jean-Vilar de Saint-Égrève. Notre demande de bourse départementale pour l'année 2026-2027 a été refusée parce que le dossier serait arrivé hors délai, alors que je l'ai déposé au secrétariat le 25 septembre, avant la date limite. Je vous joins le récépissé du collège.

Thierry Blanchard
06 39 98 61 30
"""


@mail("030-mime-boundary-jamais-fermee.eml", "quarantine", sender="t.blanchard@orange.example",
      exercises="malformed MIME: multipart/mixed whose closing delimiter `--<boundary>--` never appears — the file ends in the middle of the base64 of the attachment (Python: CloseBoundaryNotFoundDefect)")
def m030():
    d = t(10, 30, 17, 45, 3)
    bd = b_thunderbird("030")
    h = delivery("t.blanchard@orange.example", d, "smtp-out.orange.example", "198.51.100.203", "030", auth=spf("orange.example", "198.51.100.203"))
    h += [("Content-Type", f'multipart/mixed; boundary="{bd}"'),
          ("Message-ID", mid_thunderbird("030", "orange.example")),
          ("Date", rfc_date(d)),
          ("MIME-Version", "1.0"),
          ("User-Agent", "Mozilla Thunderbird"),
          ("Content-Language", "fr"),
          ("To", MBOX),
          ("From", "Thierry Blanchard <t.blanchard@orange.example>"),
          ("Subject", "Bourse departementale college refusee")]
    pdf = letter_pdf(created=t(9, 25, 11, 0), header=["Collège Jean-Vilar — Saint-Égrève", "Secrétariat de direction"],
                     sender=["Récépissé de dépôt"], recipient=["M. Thierry Blanchard"], place_date="Saint-Égrève, le 25 septembre 2026",
                     subject="Dossier de bourse départementale 2026-2027 — Inès Blanchard (4e B)",
                     body="Le secrétariat atteste avoir reçu ce jour le dossier complet de demande de bourse départementale.",
                     signature=["Le secrétariat"])
    enc = b64(pdf)
    cut = enc[: len(enc) * 2 // 3]
    cut = cut[: cut.rfind(b"\n") + 1]
    body = multipart(bd, [
        part([("Content-Type", "text/plain; charset=UTF-8; format=flowed"), ("Content-Transfer-Encoding", "8bit")], flowed(T030).encode()),
        part([("Content-Type", 'application/pdf; name="recepisse-bourse.pdf"'),
              ("Content-Disposition", 'attachment; filename="recepisse-bourse.pdf"'),
              ("Content-Transfer-Encoding", "base64")], cut),
    ], preamble="This is a multi-part message in MIME format.\n", close=False)
    return message(h, body)


# =========================================================================== 031 Outlook for Android, contrat jeune majeur

YANIS = ("Yanis Ferrand", "yanis.ferrand08@hotmail.example")
T031 = """Bonjour,

je m'appelle Yanis Ferrand j'ai 18 ans depuis septembre. j'etais placé a l'ASE depuis mes 13 ans, au foyer Les Ecrins a Grenoble et depuis un an en appartement accompagné.

ma referente m'a dit la semaine derniere au telephone que mon contrat jeune majeur etait refusé et que je dois quitter l'appart fin novembre. j'ai rien recu par ecrit.

je suis en CAP cuisine en alternance (2eme annee) je gagne 780 euros par mois, je peux pas payer un loyer tout seul a Grenoble et j'ai pas de famille pour m'heberger. elle dit que c'est la commission qui a decidé et qu'elle peut rien faire.

je sais pas si j'ai le droit de contester ni comment. aidez moi svp

Yanis
06 39 98 02 45

Obtenir Outlook pour Android
"""


@mail("031-contrat-jeune-majeur-outlook-android.eml", "open", dossier="MED-2026-00022",
      triage="protection_enfance / prematuree / none", sender=YANIS[1],
      exercises="Outlook for Android: multipart/alternative utf-8 base64 (text) + QP (html), footer `Obtenir Outlook pour Android`; informal, almost no accents, sent after midnight (Date +0100, after the DST change); decision only told orally, no recourse yet")
def m031():
    d = t(11, 2, 0, 37, 15)
    h = delivery(YANIS[1], d, "EUR02-VI1-obe.outbound.protection.outlook.example", "203.0.113.147", "031",
                 auth=spf("hotmail.example", "203.0.113.147"))
    h += outlook_headers("031", YANIS, MBOX, "contrat jeune majeur refusé", d)
    bd = b_outlook("031")
    h.append(("Content-Type", f'multipart/alternative;\n\tboundary="{bd}"'))
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><div dir="auto">' + \
        "".join(f"<div dir=\"auto\">{html_escape(l) if l else '<br>'}</div>" for l in T031.split("\n")) + "</div></body></html>"
    body = multipart(bd, [
        part([("Content-Type", 'text/plain; charset="utf-8"'), ("Content-Transfer-Encoding", "base64")], b64(T031.encode())),
        part([("Content-Type", 'text/html; charset="utf-8"'), ("Content-Transfer-Encoding", "quoted-printable")], qp(html)),
    ])
    return message(h, body)


# =========================================================================== 032 web form without e-mail, social housing (out of scope)

V032 = {"Civilité": "Madame", "Nom": "EL AMRANI", "Prénom": "Fatima", "Adresse": "Résidence Les Glycines, bâtiment C, 3 rue des Mimosas",
        "Code postal": "38130", "Commune": "Échirolles", "Téléphone": "06 39 98 65 21", "Courriel": "",
        "Service concerné": "Je ne sais pas",
        "Démarches déjà effectuées": "Demande de logement social renouvelée chaque année depuis 2023 ; plusieurs courriers au bailleur pour l'humidité",
        "Objet de la demande": "Logement social trop petit et insalubre"}
T032 = """Bonjour,
Je vis avec mes trois enfants (4, 9 et 13 ans) dans un T2 de 41 m² chez le bailleur social. Les deux grands dorment dans le salon.
Depuis l'hiver dernier il y a de la moisissure dans la chambre et la salle de bain, mon fils de 4 ans est asthmatique et le médecin a fait un certificat.
J'ai écrit plusieurs fois au bailleur pour l'humidité, ils sont venus une fois mettre de la peinture. Ma demande de logement plus grand est renouvelée tous les ans depuis 2023 mais je n'ai jamais eu de proposition.
Je n'ai pas d'adresse mail, merci de me téléphoner."""


@mail("032-formulaire-logement-social-hors-champ.eml", "open", dossier="MED-2026-00023",
      triage="hors_champ / irrecevable / bailleur_social", sender="(none: no Reply-To, empty `Courriel :`)",
      exercises="second web form without e-mail (no Reply-To); `Service concerné : Je ne sais pas`; out of scope (social landlord)")
def m032():
    return form_mail("2026-005120", t(11, 2, 10, 15, 48), V032, T032, "032")


# =========================================================================== 033 Windows Mail (base64 alternative), reception at a Maison du Département

JP = ("Jean-Pierre Chevalier", "jp.chevalier@wanadoo.example")
T033 = """Madame la Médiatrice,

Je souhaite porter à votre connaissance la façon dont ma mère et moi avons été reçus le 2 septembre 2026 à la Maison du Département Isère rhodanienne, à Vienne.

J'accompagnais ma mère, 86 ans, en fauteuil roulant, pour déposer son dossier de demande d'APA. Nous avons attendu 1 h 10 dans le hall, sans qu'on nous propose de nous installer ailleurs que devant la porte. L'agent d'accueil a ensuite refusé de prendre le dossier au motif qu'il fallait « prendre rendez-vous sur internet », et m'a répondu que ce n'était « pas son problème » quand j'ai expliqué que ma mère n'avait pas d'ordinateur.

J'ai adressé une réclamation écrite au directeur du territoire le 4 septembre, puis une relance le 6 octobre. Je n'ai reçu aucune réponse, pas même un accusé de réception.

Je ne cherche pas à mettre en cause une personne en particulier, mais je voudrais une réponse, et que l'accueil des personnes âgées et handicapées soit amélioré. Le dossier APA a finalement été envoyé par la poste.

Veuillez recevoir, Madame, mes salutations distinguées.

Jean-Pierre Chevalier
4 montée du Château
38780 Pont-Évêque
04 65 71 55 08

Envoyé à partir de Courrier pour Windows
"""


@mail("033-accueil-maison-du-departement-windows-mail.eml", "open", dossier="MED-2026-00024",
      triage="autres_politiques / recevable / none", sender=JP[1],
      exercises="Windows 10 `Courrier` app: multipart/alternative where BOTH parts are utf-8 base64; the acknowledgement of this dossier bounces (see 034)")
def m033():
    d = t(11, 3, 9, 2, 27)
    bd = "_" + uuid_like("033") + "_"
    h = delivery(JP[1], d, "smtp.wanadoo.example", "198.51.100.88", "033", auth=spf("wanadoo.example", "198.51.100.88"))
    h += [("MIME-Version", "1.0"),
          ("To", f'"{MBOX}" <{MBOX}>'),
          ("From", addr(*JP)),
          ("Subject", ew("Accueil à la Maison du Département de Vienne - réclamation sans réponse", "utf-8", "B")),
          ("Date", rfc_date(d, zero_pad=True)),
          ("Importance", "normal"),
          ("X-Priority", "3"),
          ("Message-ID", f"<{hx('033', 8).upper()}-{hx('033b', 4).upper()}@wanadoo.example>"),
          ("Content-Type", f'multipart/alternative;\n\tboundary="{bd}"')]
    html = '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body lang="FR" link="blue" vlink="#954F72"><div class="WordSection1">' + \
        "".join(f'<p class="MsoNormal">{html_escape(l) if l else "&nbsp;"}</p>' for l in T033.split("\n")) + "</div></body></html>"
    body = multipart(bd, [
        part([("Content-Transfer-Encoding", "base64"), ("Content-Type", "text/plain; charset=utf-8")], b64(T033.encode())),
        part([("Content-Transfer-Encoding", "base64"), ("Content-Type", "text/html; charset=utf-8")], b64(html.encode())),
    ])
    return message(h, body)


# =========================================================================== 034 non-DSN bounce

@mail("034-bounce-non-dsn-boite-pleine.eml", "bounce", dossier="MED-2026-00024",
      sender="postmaster@wanadoo.example (Return-Path <>)",
      exercises="old-style bounce that is NOT a DSN: single text/plain part, Subject `Undelivered Mail Returned to Sender`, From MAILER-DAEMON, 552 mailbox full; the returned acknowledgement (Message-ID <ack.MED-2026-00024.fake@isere.example>) is pasted inline below `--- Below this line is a copy of the message.`")
def m034():
    d_ack = t(11, 3, 9, 40, 5)
    d = t(11, 3, 9, 50, 31)
    rcpt = JP[1]
    h = [("Return-Path", "<>"), ("Delivered-To", MBOX)]
    h += received_in(d, "mx-in.wanadoo.example", "203.0.113.80", "034")
    h += [("Date", rfc_date(d)),
          ("From", "Mail Delivery System <MAILER-DAEMON@mx-in.wanadoo.example>"),
          ("To", MBOX),
          ("Subject", "Undelivered Mail Returned to Sender"),
          ("Message-ID", f"<bounce.{hx('034', 16)}@mx-in.wanadoo.example>"),
          ("MIME-Version", "1.0"),
          ("Content-Type", "text/plain"),
          ("Content-Transfer-Encoding", "8bit")]
    orig = message(ack_headers("MED-2026-00024", rcpt, "Jean-Pierre Chevalier", d_ack, "ack24"),
                   ack_text("MED-2026-00024", "3 novembre 2026").encode() + b"\n", eol=b"\n")
    text = f"""Hi. This is the mail delivery agent at mx-in.wanadoo.example.
I'm afraid I wasn't able to deliver your message to the following address.
This is a permanent error; I've given up. Sorry it didn't work out.

<{rcpt}>:
mailbox is full: quota exceeded (552 5.2.2 Mailbox full)

--- Below this line is a copy of the message.

""".encode() + orig
    return message(h, text)


# =========================================================================== 035 public procurement (Art. 12)

SIGNA = ("Nadia Rossi - Signalisation Dauphinoise", "compta@signalisation-dauphinoise.example")
T035 = """Madame la Médiatrice,

Notre société est titulaire du lot 2 (signalisation horizontale) du marché n° 2025-0412 passé par le Département de l'Isère pour l'entretien des routes départementales du secteur Voironnais-Chartreuse, notifié le 14 mars 2025.

Trois factures déposées sur Chorus Pro restent impayées à ce jour, bien au-delà du délai global de paiement de 30 jours :
- FA-2026-0117 du 15 avril 2026 : 48 320,40 € TTC
- FA-2026-0198 du 30 mai 2026 : 22 815,00 € TTC
- FA-2026-0263 du 10 juillet 2026 : 31 044,60 € TTC

Le statut affiché est « mise en paiement suspendue — service fait non constaté », alors que les procès-verbaux de réception des travaux ont été signés par le service territorial. Nos relances au service des routes (courriels des 3 août, 15 septembre et 12 octobre) n'ont donné lieu qu'à des réponses d'attente.

Ce retard représente plus de 100 000 € et met notre trésorerie en grande difficulté. Nous sollicitons votre intervention pour débloquer le paiement et le versement des intérêts moratoires.

Nadia Rossi
Responsable administrative et financière
Signalisation Dauphinoise SAS — ZI du Pré Barjat, 38430 Moirans
04 65 71 27 66
"""


@mail("035-marche-public-factures-impayees.eml", "open", dossier="MED-2026-00025",
      triage="routes_mobilite / irrecevable / none", sender=SIGNA[1],
      exercises="Thunderbird multipart/alternative (text + HTML with a <ul>); a company's unpaid invoices under a public works contract: a Département matter excluded by art. 12 (marchés publics)")
def m035():
    d = t(11, 4, 14, 28, 40)
    bd = b_thunderbird("035")
    h = delivery(SIGNA[1], d, "smtp.signalisation-dauphinoise.example", "203.0.113.71", "035",
                 auth=spf("signalisation-dauphinoise.example", "203.0.113.71"))
    h += [("Content-Type", f'multipart/alternative; boundary="{bd}"'),
          ("Message-ID", mid_thunderbird("035", "signalisation-dauphinoise.example")),
          ("Date", rfc_date(d)),
          ("MIME-Version", "1.0"),
          ("User-Agent", "Mozilla Thunderbird"),
          ("Content-Language", "fr"),
          ("To", MBOX),
          ("From", addr(*SIGNA, lower=True)),
          ("Organization", "Signalisation Dauphinoise SAS"),
          ("Subject", ew("Marché 2025-0412 lot 2 - factures impayées depuis avril", lower=True))]
    paras = T035.strip().split("\n\n")
    html_parts = []
    for p in paras:
        if p.startswith("Trois factures"):
            first, *items = p.split("\n")
            html_parts.append(f"<p>{html_escape(first)}</p><ul>" + "".join(f"<li>{html_escape(i[2:])}</li>" for i in items) + "</ul>")
        else:
            html_parts.append("<p>" + "<br>\n".join(html_escape(l) for l in p.split("\n")) + "</p>")
    html = '<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv="content-type" content="text/html; charset=UTF-8">\n  </head>\n  <body>\n' + "\n".join(html_parts) + "\n  </body>\n</html>\n"
    body = multipart(bd, [
        part([("Content-Type", "text/plain; charset=UTF-8; format=flowed"), ("Content-Transfer-Encoding", "8bit")], flowed(T035).encode()),
        part([("Content-Type", "text/html; charset=UTF-8"), ("Content-Transfer-Encoding", "8bit")], html.encode()),
    ], preamble="This is a multi-part message in MIME format.\n")
    return message(h, body)


# =========================================================================== 036 follow-up referenced only in the Subject

T036 = """Madame,

Suite à votre appel de ce matin, je vous précise les dates des travaux :
- barrière d'escalier homologuée posée le 14 juin 2026 (facture Bricomarché n° 2026-06-0881) ;
- clôture de 1,20 m avec portillon fermant à clé autour du bassin, posée le 21 juin 2026 par l'entreprise Clôtures du Rhône.

La puéricultrice de secteur m'a redit au téléphone qu'aucune nouvelle visite n'était prévue tant que la décision de septembre n'était pas « revue par la hiérarchie ».

Je reste à votre disposition.

Martine Jacquier
04 65 71 48 15
"""


@mail("036-complement-MED-2026-00006-par-objet.eml", "attach", dossier="MED-2026-00006",
      sender=MARTINE[1],
      exercises="follow-up linked ONLY by the reference in the Subject (`Dossier MED-2026-00006 - complément`, =?ISO-8859-1?Q?): no In-Reply-To/References; sender = the dossier's address (same as 008)")
def m036():
    d = t(11, 5, 9, 12, 6)
    h = delivery(MARTINE[1], d, "smtp.neuf.example", "198.51.100.77", "036", auth=spf("neuf.example", "198.51.100.77"))
    h += wlm_headers("036", MARTINE, d, "Dossier MED-2026-00006 - complément", subject_mode="Q")
    h += [("Content-Type", 'text/plain;\n\tformat=flowed;\n\tcharset="iso-8859-1";\n\treply-type=original'),
          ("Content-Transfer-Encoding", "quoted-printable")]
    return message(h, qp(flowed(T036, 76), "iso-8859-1"))


# =========================================================================== 037 truncated base64 attachment

@mail("037-piece-jointe-base64-tronquee.eml", "quarantine", sender="michel.garnier@gmail.example",
      exercises="malformed: the application/pdf attachment's base64 stops mid-line (length not a multiple of 4, no %%EOF in the decoded bytes) although the closing boundary is present (Python: InvalidBase64LengthDefect / padding defect)")
def m037():
    d = t(11, 5, 11, 47, 33)
    sender = ("Michel Garnier", "michel.garnier@gmail.example")
    text = """Bonjour,

Veuillez trouver ci-joint la notification APA de ma mère, Mme Yvonne Garnier, 92 ans, à Seyssins. Le plan d'aide ne couvre que 15 heures par mois alors qu'elle a besoin d'aide matin et soir. J'ai demandé une révision en août, sans réponse.

Michel Garnier
06 39 98 36 52
"""
    h = gmail_delivery(sender[1], d, "037")
    h += gmail_headers("037", sender, d, "Notification APA de ma mère")
    outer = "000000000000" + hx("037o", 16)
    h.append(("Content-Type", f'multipart/mixed; boundary="{outer}"'))
    bd, alt = gmail_alt("037", text)
    pdf = letter_pdf(created=t(7, 30, 9, 0), header=["Département de l'Isère — Direction de l'autonomie"], sender=["Dossier APA n° 2024-55710"],
                     recipient=["Madame Yvonne Garnier", "38180 Seyssins"], place_date="Grenoble, le 30 juillet 2026",
                     subject="Notification de votre plan d'aide APA",
                     body="Madame, nous avons le plaisir de vous informer que votre plan d'aide a été établi comme suit : 15 heures d'aide à domicile par mois.",
                     signature=["La Direction de l'autonomie"])
    enc = b64(pdf).split(b"\n")
    cut = b"\n".join(enc[: len(enc) // 2]) + b"\n" + enc[len(enc) // 2][:41] + b"\n"
    att = "f_mh4" + alnum("037a", 6).lower()
    body = multipart(outer, [
        part([("Content-Type", f'multipart/alternative; boundary="{bd}"')], alt),
        part([("Content-Type", 'application/pdf; name="notification_APA.pdf"'),
              ("Content-Disposition", 'attachment; filename="notification_APA.pdf"'),
              ("Content-Transfer-Encoding", "base64"), ("Content-ID", f"<{att}>"), ("X-Attachment-Id", att)], cut),
    ])
    return message(h, body)


# =========================================================================== 038 iPad, tree pruning along RD 520

ODILE = ("Odile Buisson", "o.buisson@chartreuse-net.example")
T038 = """Madame, Monsieur,

J'habite seule au hameau de la Diat, à Saint-Pierre-de-Chartreuse, le long de la RD 520. Les arbres du talus qui surplombe la route n'ont pas été élagués depuis des années et certaines branches passent au-dessus de la chaussée et des fils.

Lors du coup de vent du 15 octobre, une grosse branche de frêne est tombée sur la ligne téléphonique et sur ma clôture. Depuis, je n'ai plus de téléphone fixe ni d'internet, sauf quand ma voisine me prête sa connexion comme aujourd'hui. L'opérateur me dit que c'est au gestionnaire de la route de faire élaguer avant qu'il puisse réparer la ligne. J'ai 78 ans et ma téléassistance passe par le téléphone fixe, mes enfants sont très inquiets.

Je n'ai encore écrit à aucun service, je ne savais pas à qui m'adresser. Pouvez-vous transmettre ma demande au service des routes pour que l'élagage soit fait rapidement ?

Avec mes remerciements,

Odile Buisson
Hameau de la Diat, 38380 Saint-Pierre-de-Chartreuse
04 65 71 74 31

Envoyé de mon iPad
"""


@mail("038-elagage-rd520-ipad.eml", "open", dossier="MED-2026-00026",
      triage="routes_mobilite / prematuree / none", sender=ODILE[1],
      exercises="iPad Mail: text/plain utf-8 QP, `Envoyé de mon iPad`; first contact about tree pruning along an RD")
def m038():
    d = t(11, 6, 16, 33, 12)
    h = delivery(ODILE[1], d, "smtp.chartreuse-net.example", "203.0.113.120", "038", auth=spf("chartreuse-net.example", "203.0.113.120"))
    h += [("Content-Type", "text/plain;\n\tcharset=utf-8"),
          ("Content-Transfer-Encoding", "quoted-printable"),
          ("From", addr(*ODILE)),
          ("Mime-Version", "1.0 (1.0)"),
          ("Date", rfc_date(d)),
          ("Subject", ew("Branches tombées sur la ligne téléphonique - RD 520")),
          ("Message-Id", mid_apple("038", "chartreuse-net.example")),
          ("To", MBOX),
          ("X-Mailer", "iPad Mail (22B91)")]
    return message(h, qp(T038))


# =========================================================================== 039 > 1 MB, EHPAD care quality

MARC = ("Marc Allemand", "marc.allemand@outlook.example")
T039 = """Madame la Médiatrice,

Mon père, M. Lucien Allemand, 91 ans, est résident de l'EHPAD « Le Clos des Vignes » à Vizille depuis 2023. Depuis le début de l'été, sa prise en charge s'est nettement dégradée :
- une escarre au talon apparue en juin n'a été signalée à la famille qu'en août, à un stade avancé ;
- il est tombé trois fois la nuit en juillet et en septembre, chaque fois retrouvé au sol au matin, la sonnette d'appel étant hors de sa portée ;
- il a perdu 7 kg depuis mars ; la fiche de pesée que je joins (photographiée lors de ma dernière visite) montre qu'il n'a pas été pesé entre le 3 juillet et le 18 septembre, et plusieurs jours sans toilette notée.

J'ai rencontré la directrice le 22 juillet, puis le médecin coordonnateur le 28 août. Rien n'a changé. J'ai écrit le 9 septembre au service de contrôle des établissements de la Direction de l'autonomie du Département et à l'ARS. Je n'ai reçu qu'un accusé de réception automatique de l'ARS et aucune réponse du Département.

Je vous demande d'intervenir pour qu'une inspection ait lieu et que des mesures soient prises pour mon père et les autres résidents.

Veuillez agréer, Madame, mes salutations distinguées.

Marc Allemand
11 rue Gabriel-Péri, 38220 Vizille
06 39 98 47 70
"""

FICHE_LINES = ["EHPAD LE CLOS DES VIGNES — FICHE DE SUIVI", "Résident : ALLEMAND Lucien — Chambre 214 — GIR 2", "",
               "Date        Toilette   Change   Pesée     Observations"] + [
    f"{dd:02d}/{mm:02d}/2026  {tl:<10} {ch:<8} {pw:<9} {ob}" for (dd, mm, tl, ch, pw, ob) in [
        (1, 7, "oui", "x3", "", ""), (2, 7, "oui", "x3", "", ""), (3, 7, "oui", "x2", "61,5 kg", ""),
        (4, 7, "", "x2", "", "chute nuit, trouvé au sol 6h"), (5, 7, "", "x1", "", ""), (6, 7, "oui", "x2", "", ""),
        (9, 7, "", "x2", "", "rougeur talon G"), (12, 7, "", "", "", ""), (15, 7, "oui", "x2", "", ""),
        (21, 7, "", "x1", "", "refus repas"), (28, 7, "oui", "x2", "", ""), (4, 8, "", "x2", "", "escarre talon G stade 3"),
        (11, 8, "oui", "x2", "", "pansement"), (19, 8, "", "", "", ""), (26, 8, "oui", "x2", "", ""),
        (2, 9, "", "x1", "", "chute nuit"), (9, 9, "oui", "x2", "", ""), (18, 9, "oui", "x2", "56,8 kg", "")]
] + ["", "Visa IDE : ______      Visa médecin coordonnateur : ______"]


@mail("039-ehpad-maltraitance-piece-jointe-1mo.eml", "open", dossier="MED-2026-00027",
      triage="autonomie_personnes_agees / recevable / none", sender=MARC[1],
      exercises="message over 1 MB (about 1.5 MB): Outlook on the web, multipart/mixed with a ~1.1 MB JPEG (photo of a paper care sheet, EXIF Apple/iPhone 13) — must be accepted, not quarantined for size")
def m039():
    d = t(11, 9, 8, 41, 2)
    h = delivery(MARC[1], d, "EUR03-DBA-obe.outbound.protection.outlook.example", "203.0.113.148", "039",
                 auth=spf("outlook.example", "203.0.113.148"))
    h += outlook_headers("039", MARC, MBOX, "EHPAD Le Clos des Vignes - défauts de prise en charge de mon père", d, has_attach=True)
    mixed, alt = b_outlook("039", "004"), b_outlook("039", "000")
    h.append(("Content-Type", f'multipart/mixed;\n\tboundary="{mixed}"'))
    jpg = document_photo_jpeg(39, FICHE_LINES)
    body = multipart(mixed, [
        part([("Content-Type", f'multipart/alternative;\n\tboundary="{alt}"')], multipart(alt, [
            part([("Content-Type", 'text/plain; charset="utf-8"'), ("Content-Transfer-Encoding", "quoted-printable")], qp(T039)),
            part([("Content-Type", 'text/html; charset="utf-8"'), ("Content-Transfer-Encoding", "quoted-printable")],
                 qp(outlook_html(T039).replace("charset=iso-8859-1", "charset=utf-8"))),
        ])),
        part([("Content-Type", 'image/jpeg; name="IMG_4187.JPG"'), ("Content-Description", "IMG_4187.JPG"),
              ("Content-Disposition", f'attachment; filename="IMG_4187.JPG"; size={len(jpg)};\n\tcreation-date="{rfc_date(d, UTC).replace("+0000", "GMT")}";\n\tmodification-date="{rfc_date(d, UTC).replace("+0000", "GMT")}"'),
              ("Content-Transfer-Encoding", "base64")], b64(jpg)),
    ])
    return message(h, body)


# =========================================================================== 040 garbage header lines

@mail("040-entetes-corrompus.eml", "quarantine", sender="(unparseable: From appears after the garbage lines)",
      exercises="garbage in the header block: NUL/0xFF bytes, a line without colon, a `:::` line, a 1,200-character junk line; MIME-Version/Content-Type/From come AFTER the first garbage line, so a conforming parser sees them as body (Python: MissingHeaderBodySeparatorDefect; From/Subject/Content-Type end up in the body)")
def m040():
    d = t(11, 9, 12, 0, 0)
    junk = random.Random(40)
    h = [("Return-Path", "<s.lopez@free.example>"), ("Delivered-To", MBOX)]
    h += received_in(d, "smtp4-g21.free.example", "198.51.100.21", "040")
    raw = hdrs(h)
    raw += f"Date: {rfc_date(d)}\n".encode()
    raw += b"X-Spam-Flag NO\n"
    raw += b"\x00\x00\xff\xfeS\x00u\x00b\x00j\x00\n"
    raw += b":::\n"
    raw += b"X-Garbage: " + bytes(junk.choice(b"abcdefghijklmnopqrstuvwxyz0123456789=+/") for _ in range(1200)) + b"\n"
    raw += "From: Sonia Lopez <s.lopez@free.example>\nTo: mediation@isere.example\nSubject: RSA radié sans explication\n".encode()
    raw += b"Message-ID: <" + hx("040", 20).encode() + b"@free.example>\n"
    raw += b"MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
    raw += b"\n"
    raw += """Bonjour,
mon RSA a été radié en septembre sans aucun courrier. J'ai écrit au service le 2 octobre, pas de réponse.
Sonia Lopez, 38600 Fontaine, 06 39 98 50 08
""".encode()
    return raw.replace(b"\n", b"\r\n")


# =========================================================================== 041 exact duplicate

@mail("041-doublon-exact-de-020.eml", "duplicate", dossier="MED-2026-00015",
      sender=DIDIER[1],
      exercises="byte-identical copy of 020 (same Message-ID, same SHA-256): must be recognised as a duplicate, no second dossier, no second acknowledgement")
def m041():
    return m020()


# =========================================================================== 042 spoofed display name

@mail("042-from-usurpe-encoded-word.eml", "flag", sender="securite-messagerie@isere-mail.example",
      exercises="spoofing: From is `=?UTF-8?B?…?= <securite-messagerie@isere-mail.example>` whose display name DECODES to `Médiation départementale <mediation@isere.example>`; the real sender is the addr-spec outside the encoded-word (decode AFTER address parsing, never before); phishing content, SPF softfail. Flag as suspicious; no dossier, no acknowledgement")
def m042():
    d = t(11, 10, 7, 12, 45)
    real = "securite-messagerie@isere-mail.example"
    h = delivery("bounce-8812@mass-mailer.example", d, "vps-51523.mass-mailer.example", "192.0.2.230", "042", tls=False,
                 auth="spf=softfail (domain of transitioning bounce-8812@mass-mailer.example does not designate 192.0.2.230 as permitted sender) smtp.mailfrom=mass-mailer.example; dkim=none; dmarc=fail header.from=isere-mail.example")
    spoof = "=?UTF-8?B?" + base64.b64encode("Médiation départementale <mediation@isere.example>".encode()).decode() + "?="
    h += [("From", f"{spoof} <{real}>"),
          ("To", MBOX),
          ("Subject", ew("Action requise : votre boîte mail a atteint 98 % de son quota")),
          ("Date", rfc_date(d)),
          ("Message-ID", f"<{hx('042', 24)}@vps-51523.mass-mailer.example>"),
          ("MIME-Version", "1.0"),
          ("X-Mailer", "PHPMailer 6.1.4 (https://github.com/PHPMailer/PHPMailer)")]
    text = """Cher utilisateur mediation@isere.example,

Votre boîte aux lettres a atteint 98 % de son quota de stockage. Les nouveaux messages seront rejetés dans les 24 heures.

Pour conserver vos messages, validez votre compte ici : https://isere-mail.example/owa/validation?u=mediation%40isere.example

Service informatique
"""
    html = """<html><body style="font-family:Segoe UI,Arial"><table width="100%" style="background:#0078d4;color:#fff"><tr><td style="padding:12px"><b>Outlook Web App</b></td></tr></table>
<p>Cher utilisateur <b>mediation@isere.example</b>,</p><p>Votre boîte aux lettres a atteint <b style="color:#c00">98 %</b> de son quota. Les nouveaux messages seront rejetés dans les 24 heures.</p>
<p><a href="https://isere-mail.example/owa/validation?u=mediation%40isere.example" style="background:#0078d4;color:#fff;padding:10px 18px;text-decoration:none">Valider mon compte</a></p>
<p style="font-size:11px;color:#777">Service informatique</p></body></html>
"""
    bd = "b1_" + hx("042b", 32)
    h.append(("Content-Type", f'multipart/alternative;\n\tboundary="{bd}"'))
    body = multipart(bd, [
        part([("Content-Type", "text/plain; charset=UTF-8"), ("Content-Transfer-Encoding", "8bit")], text.encode()),
        part([("Content-Type", "text/html; charset=UTF-8"), ("Content-Transfer-Encoding", "8bit")], html.encode()),
    ], preamble="This is a multi-part message in MIME format.\n")
    return message(h, body)


# =========================================================================== 043 Thunderbird HTML, access to one's ASE file

ANTHONY = ("Anthony Blanc", "anthony.blanc.pro@gmail.example")
T043 = """Madame, Monsieur,

J'ai été confié à l'Aide sociale à l'enfance de l'Isère de 2002 à 2012, d'abord en foyer à Vienne puis dans une famille d'accueil à Roussillon. J'ai aujourd'hui 31 ans et je souhaite consulter mon dossier pour comprendre mon histoire, notamment les raisons de mon placement et ce qu'il est advenu de mes frères.

J'ai adressé une demande écrite d'accès à mon dossier à la Direction de l'enfance et de la famille le 2 juin 2026, par lettre recommandée, puis une relance le 7 septembre. Je n'ai reçu aucune réponse, pas même un accusé de réception. Au téléphone, on m'a dit que « les archives sont en cours de traitement ».

Je souhaite que ma demande soit enfin traitée et pouvoir être accompagné par un professionnel lors de la consultation, comme cela m'a été conseillé. Je préfère une solution amiable avant d'envisager d'autres démarches.

Je vous remercie par avance.

Anthony Blanc
23 rue des Tanneurs
38200 Vienne
06 39 98 18 64
"""


@mail("043-acces-dossier-ase-thunderbird-html.eml", "open", dossier="MED-2026-00028",
      triage="protection_enfance / recevable / none", sender=ANTHONY[1],
      exercises="Thunderbird composing in HTML: multipart/alternative, text part format=flowed 8bit, HTML part with <p> and <br>; a gmail.example address sent through Thunderbird")
def m043():
    d = t(11, 12, 18, 5, 19)
    bd = b_thunderbird("043")
    h = gmail_delivery(ANTHONY[1], d, "043")
    h += [("Content-Type", f'multipart/alternative; boundary="{bd}"'),
          ("Message-ID", mid_thunderbird("043", "gmail.example")),
          ("Date", rfc_date(d)),
          ("MIME-Version", "1.0"),
          ("User-Agent", "Mozilla Thunderbird"),
          ("Content-Language", "fr"),
          ("To", MBOX),
          ("From", addr(*ANTHONY)),
          ("Subject", ew("Demande d'accès à mon dossier ASE restée sans réponse", lower=True))]
    html = '<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv="content-type" content="text/html; charset=UTF-8">\n  </head>\n  <body>\n' + \
        "\n".join("    <p>" + "<br>\n".join(html_escape(l) for l in p.split("\n")) + "</p>" for p in T043.strip().split("\n\n")) + "\n  </body>\n</html>\n"
    body = multipart(bd, [
        part([("Content-Type", "text/plain; charset=UTF-8; format=flowed"), ("Content-Transfer-Encoding", "8bit")], flowed(T043).encode()),
        part([("Content-Type", "text/html; charset=UTF-8"), ("Content-Transfer-Encoding", "8bit")], html.encode()),
    ], preamble="This is a multi-part message in MIME format.\n")
    return message(h, body)


# =========================================================================== 044 MDN read receipt

@mail("044-accuse-de-lecture-mdn-MED-2026-00020.eml", "auto-reply", dossier="MED-2026-00020",
      sender="hakim.mansouri@free.example",
      exercises="read receipt (MDN): multipart/report; report-type=disposition-notification, with message/disposition-notification (Original-Message-ID <ack.MED-2026-00020.fake@isere.example>) and text/rfc822-headers; References our ack; no Auto-Submitted header. Record as automatic message (read receipt), do not attach as a citizen message")
def m044():
    d = t(11, 12, 18, 30, 7)
    d_ack = t(10, 29, 9, 5, 0)
    who = "hakim.mansouri@free.example"
    bd = b_thunderbird("044")
    h = delivery(who, d, "smtp4-g21.free.example", "198.51.100.21", "044", auth=spf("free.example", "198.51.100.21"))
    h += [("Message-ID", mid_thunderbird("044", "free.example")),
          ("Date", rfc_date(d)),
          ("MIME-Version", "1.0"),
          ("User-Agent", "Mozilla Thunderbird"),
          ("From", addr("Hakim Mansouri", who)),
          ("Subject", ew("Accusé de réception (affiché) - " + ack_subject("MED-2026-00020"), lower=True)),
          ("To", addr(MBOX_NAME, MBOX, lower=True)),
          ("References", ack_mid("MED-2026-00020")),
          ("Content-Type", f'multipart/report; report-type=disposition-notification;\n boundary="{bd}"')]
    orig_h = hdrs(ack_headers("MED-2026-00020", who, "Hakim Mansouri", d_ack, "ack20")[2:])
    body = multipart(bd, [
        part([("Content-Type", "text/plain; charset=UTF-8"), ("Content-Transfer-Encoding", "8bit")],
             f"Ceci est un accusé de réception pour le courriel que vous avez envoyé à {who}.\n\nNote : cet accusé de réception indique seulement que le message a été affiché sur l'ordinateur du destinataire. Il n'y a aucune garantie que le destinataire ait lu ou compris le contenu du message.\n".encode()),
        part([("Content-Type", 'message/disposition-notification; name="MDNPart2.txt"'),
              ("Content-Disposition", "inline"), ("Content-Transfer-Encoding", "7bit")],
             f"Reporting-UA: pc-hakim; Mozilla Thunderbird\nFinal-Recipient: rfc822;{who}\nOriginal-Message-ID: {ack_mid('MED-2026-00020')}\nDisposition: manual-action/MDN-sent-manually; displayed\n".encode()),
        part([("Content-Type", 'text/rfc822-headers; name="MDNPart3.txt"'),
              ("Content-Transfer-Encoding", "7bit"), ("Content-Disposition", 'inline; filename="MDNPart3.txt"')], orig_h),
    ], preamble="This is a multi-part message in MIME format.\n")
    return message(h, body)


# =========================================================================== 045 Gmail forward, RSA radiation

LAURENT = ("Laurent Masson", "laurent.masson.38@gmail.example")
FWD045 = """Monsieur,

Nous vous informons que, faute de retour de votre contrat d'engagement réciproque dans le délai imparti, il a été mis fin à votre droit au RSA à compter du 1er octobre 2026, après avis de l'équipe pluridisciplinaire du 24 septembre 2026.

Vous pouvez contester cette décision par un recours administratif dans un délai de deux mois à compter de sa notification.

Service insertion Sud-Grésivaudan
Département de l'Isère"""
T045 = """Bonjour,

Je vous transfère le mail reçu du service insertion. Mon RSA a été radié au 1er octobre alors que je suis en formation de cariste depuis septembre (non rémunérée). On me reproche de ne pas avoir renvoyé mon contrat d'engagement, mais je l'ai signé avec ma conseillère le 3 juillet et elle me dit qu'elle l'a transmis.

J'ai appelé le numéro indiqué cinq fois et j'ai écrit au service le 14 octobre pour contester, je n'ai eu aucune réponse. Je n'ai plus aucun revenu depuis octobre et je vais devoir arrêter la formation.

Merci de regarder mon dossier.

Laurent Masson
8 rue du Lavoir, 38470 Vinay
06 39 98 91 73

---------- Message transféré ---------
De : Service insertion Sud-Grésivaudan <insertion.sudgresivaudan@isere.example>
Date : ven. 9 oct. 2026 à 14:12
Objet : Fin de droit RSA
À : <laurent.masson.38@gmail.example>


""" + FWD045 + "\n"


@mail("045-rsa-radiation-transfert-gmail.eml", "open", dossier="MED-2026-00029",
      triage="insertion_rsa / recevable / none", sender=LAURENT[1],
      exercises="Gmail forward (`Fwd:`, `---------- Message transféré ---------` block with De/Date/Objet/À) of a Département e-mail: the service's address inside the forwarded block is NOT the sender")
def m045():
    d = t(11, 13, 10, 26, 40)
    h = gmail_delivery(LAURENT[1], d, "045")
    h += gmail_headers("045", LAURENT, d, "Fwd: Fin de droit RSA")
    own, fwd = T045.split("---------- Message transféré ---------")
    html_inner = paras_html(own.rstrip("\n")) + '<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Message transféré ---------<br>' + \
        "De : <strong class=\"gmail_sendername\" dir=\"auto\">Service insertion Sud-Grésivaudan</strong> <span dir=\"auto\">&lt;insertion.sudgresivaudan@isere.example&gt;</span><br>" + \
        "Date : ven. 9 oct. 2026 à 14:12<br>Objet : Fin de droit RSA<br>À : &lt;laurent.masson.38@gmail.example&gt;<br></div><br><br>" + paras_html(FWD045) + "</div>"
    bd, body = gmail_alt("045", T045, html_inner)
    h.append(("Content-Type", f'multipart/alternative; boundary="{bd}"'))
    return message(h, body)


# =========================================================================== 046 declared boundary missing from the body

@mail("046-mime-boundary-declaree-absente.eml", "quarantine", sender="bernadette.roux@laposte.example",
      exercises="malformed MIME: Content-Type multipart/alternative; boundary=\"b1_declared…\" but the body only contains `--b2_other…` delimiters (Python: StartBoundaryNotFoundDefect; no parts)")
def m046():
    d = t(11, 16, 9, 0, 12)
    h = delivery("bernadette.roux@laposte.example", d, "smtp.laposte.example", "198.51.100.61", "046", auth=spf("laposte.example", "198.51.100.61"))
    declared, used = "b1_declared" + hx("046a", 20), "b2_other" + hx("046b", 20)
    h += [("Date", rfc_date(d)),
          ("From", "Bernadette Roux <bernadette.roux@laposte.example>"),
          ("To", MBOX),
          ("Subject", ew("Facture téléassistance")),
          ("Message-ID", f"<{hx('046', 24)}@laposte.example>"),
          ("MIME-Version", "1.0"),
          ("Content-Type", f'multipart/alternative; boundary="{declared}"')]
    text = "Bonjour, on me facture la téléassistance de mon mari depuis juin alors qu'il est en EHPAD depuis mai. J'ai écrit deux fois. Bernadette Roux, 38320 Eybens\n"
    body = multipart(used, [
        part([("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp(text)),
        part([("Content-Type", "text/html; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp(f"<p>{html_escape(text)}</p>")),
    ])
    return message(h, body)


# =========================================================================== 047 Roundcube, To président / Cc mediation, read receipt requested

SEB = ("Sébastien Marchand", "s.marchand@laposte.example")
T047 = """Monsieur le Président,

Je me permets de vous écrire directement, avec copie à la médiation du Département.

Ma fille Lou, 15 ans, élève de 3e au collège de Saint-Marcellin, aurait dû recevoir le Pass jeunes Isère 2026-2027. La demande a été faite sur le portail le 8 septembre ; elle apparaît « validée » depuis le 19 septembre mais aucun crédit n'a jamais été versé sur sa carte. Son club de handball nous demande maintenant de régler la licence (185 €), que nous avions prévu de payer avec le pass.

Je n'ai pas trouvé de numéro de téléphone pour ce dispositif, d'où ce message. Pourriez-vous faire le nécessaire ?

Respectueusement,

Sébastien Marchand
12 rue des Tilleuls
38160 Chatte
06 39 98 54 29
"""


@mail("047-pass-jeunes-cc-mediation-roundcube.eml", "open", dossier="MED-2026-00030",
      triage="education_jeunesse / prematuree / none", sender=SEB[1],
      exercises="Roundcube: mediation@isere.example is only in Cc (To is the President's office), Disposition-Notification-To requests a read receipt (must NOT be honoured automatically); format=flowed 8bit; first complaint about the scheme")
def m047():
    d = t(11, 16, 14, 52, 9)
    h = delivery(SEB[1], d, "smtp.laposte.example", "198.51.100.61", "047", auth=spf("laposte.example", "198.51.100.61"))
    h += [("MIME-Version", "1.0"),
          ("Date", rfc_date(d)),
          ("From", addr(*SEB)),
          ("To", "cabinet.president@isere.example"),
          ("Cc", MBOX),
          ("Subject", ew("Pass jeunes Isère jamais crédité")),
          ("Disposition-Notification-To", addr(*SEB)),
          ("Message-ID", f"<{hx('047', 32)}@laposte.example>"),
          ("X-Sender", SEB[1]),
          ("User-Agent", "Roundcube Webmail/1.6.9"),
          ("Content-Type", "text/plain; charset=UTF-8;\n format=flowed"),
          ("Content-Transfer-Encoding", "8bit")]
    return message(h, flowed(T047).encode())


# =========================================================================== 048 ASE placement pending before the court

STEPH = ("Stéphanie Morel", "stephanie.morel@orange.example")
T048 = """Madame la Médiatrice,

Mon fils Dylan, 14 ans, a été placé en foyer par le juge des enfants le 2 octobre 2026, à la demande de l'ASE. Je conteste totalement ce placement : le rapport de l'éducatrice contient des informations fausses sur notre vie de famille et je n'ai jamais pu donner ma version.

Mon avocate a fait appel du jugement le 9 octobre, l'audience devant la cour d'appel de Grenoble est fixée au 14 janvier 2027.

En attendant, je voudrais que vous demandiez à l'ASE de corriger son rapport et de faire revenir mon fils à la maison avant Noël. Il ne va plus au collège depuis qu'il est au foyer.

Stéphanie Morel
9 rue Très-Cloîtres, 38000 Grenoble
06 39 98 77 13
"""


@mail("048-placement-ase-appel-en-cours.eml", "open", dossier="MED-2026-00031",
      triage="protection_enfance / irrecevable / none", sender=STEPH[1],
      exercises="Thunderbird plain text; a child-welfare matter already before a court (appeal pending): art. 12 exclusion (décisions de justice)")
def m048():
    d = t(11, 17, 11, 20, 54)
    h = delivery(STEPH[1], d, "smtp-out.orange.example", "198.51.100.204", "048", auth=spf("orange.example", "198.51.100.204"))
    h += [("Message-ID", mid_thunderbird("048", "orange.example")),
          ("Date", rfc_date(d)),
          ("MIME-Version", "1.0"),
          ("User-Agent", "Mozilla Thunderbird"),
          ("Content-Language", "fr-FR"),
          ("To", MBOX),
          ("From", addr(*STEPH, lower=True)),
          ("Subject", ew("Placement de mon fils - rapport de l'ASE mensonger", lower=True)),
          ("Content-Type", "text/plain; charset=UTF-8; format=flowed"),
          ("Content-Transfer-Encoding", "8bit")]
    return message(h, flowed(T048).encode())


# =========================================================================== 049 iPhone, empty body, only a PDF (text layer)

GISELE = ("Gisèle Arnaud", "gisele.arnaud@icloud.example")
ARNAUD_BODY = """Madame, Monsieur,

En 2023, le Fonds de solidarité logement m'a accordé un prêt de 1 200 euros pour le dépôt de garantie de mon appartement actuel, remboursable par mensualités de 40 euros.

Depuis le décès de mon mari en février 2026, ma pension a été réduite de moitié et je ne parviens plus à honorer ces mensualités. Il reste 520 euros à rembourser. J'ai demandé une remise de dette au FSL le 12 mai 2026 ; elle m'a été refusée le 9 juillet. J'ai formé un recours gracieux le 4 août, rejeté par courrier du 2 octobre, sans que ma nouvelle situation ait été examinée.

Je sollicite votre médiation pour que ma demande de remise soit réexaminée au vu de mes ressources actuelles (pension de réversion en cours d'instruction).

Je vous prie d'agréer, Madame, Monsieur, mes salutations respectueuses."""


def arnaud_pdf():
    return letter_pdf(created=t(11, 18, 18, 58), header=None,
                      sender=["Gisèle Arnaud", "17 avenue de la Fauconnière", "38170 Seyssinet-Pariset", "04 65 71 63 87"],
                      recipient=["Médiation départementale", "Département de l'Isère", "38022 Grenoble Cedex 1"],
                      place_date="Seyssinet-Pariset, le 18 novembre 2026",
                      subject="Demande de remise de dette FSL — demande de médiation", body=ARNAUD_BODY,
                      signature=["Gisèle Arnaud"], title="Scan 18 nov. 2026")


@mail("049-corps-vide-pdf-seul-iphone.eml", "open", dossier="MED-2026-00032",
      triage="logement_fsl / recevable / none", sender=GISELE[1],
      exercises="iPhone: Subject `Courrier`, the body is empty except `Envoyé de mon iPhone`; the whole request is in the attached PDF (real text layer): triage must use attachment text. Structure multipart/mixed(text/plain empty, application/pdf, text/plain signature)")
def m049():
    d = t(11, 18, 19, 3, 26)
    bd = "Apple-Mail-" + uuid_like("049", upper=True)
    h = delivery(GISELE[1], d, "st43p00im-ztfb10061701.me.icloud.example", "192.0.2.160", "049", auth=spf("icloud.example", "192.0.2.160"))
    h += [("Content-Type", f"multipart/mixed; boundary={bd}"),
          ("Content-Transfer-Encoding", "7bit"),
          ("From", addr(*GISELE)),
          ("Mime-Version", "1.0 (1.0)"),
          ("Date", rfc_date(d)),
          ("Subject", "Courrier"),
          ("Message-Id", mid_apple("049", "icloud.example")),
          ("To", MBOX),
          ("X-Mailer", "iPhone Mail (22B91)")]
    body = multipart(bd, [
        part([("Content-Type", "text/plain;\n\tcharset=us-ascii"), ("Content-Transfer-Encoding", "7bit")], b"\n"),
        part([("Content-Type", 'application/pdf;\n\tname="Scan 18 nov. 2026.pdf"; x-unix-mode=0644'),
              ("Content-Disposition", 'attachment;\n\tfilename="Scan 18 nov. 2026.pdf"'),
              ("Content-Transfer-Encoding", "base64")], b64(arnaud_pdf())),
        part([("Content-Type", "text/plain;\n\tcharset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp("\n\nEnvoyé de mon iPhone")),
    ])
    return message(h, body)


# =========================================================================== 050 no Message-ID

DANIEL = ("Daniel Roche", "d.roche@club-internet.example")
T050 = """Bonjour,

Je suis au RSA depuis février 2026. Lors de l'ouverture de mes droits, on m'a dit que j'aurais un référent pour m'accompagner dans mon projet de création d'un atelier de réparation de vélos.

Huit mois plus tard, je n'ai toujours eu aucun rendez-vous. J'ai écrit au service insertion du Grésivaudan le 18 juin et le 2 septembre, et je suis passé à la Maison du Département de Crolles où l'on m'a répondu que les référents étaient surchargés. Sans référent, je ne peux pas signer de contrat d'engagement, et j'ai peur qu'on me le reproche ensuite et qu'on suspende mon RSA.

Pouvez-vous m'aider à obtenir un rendez-vous ?

Daniel Roche
5 impasse du Grand Champ, 38190 Froges
06 39 98 29 84
"""


@mail("050-sans-message-id.eml", "open", dossier="MED-2026-00033",
      triage="insertion_rsa / recevable / none", sender=DANIEL[1],
      exercises="NO Message-ID header at all (and none added by the MTA): Médiature must synthesise a stable identifier (e.g. from a hash of the raw bytes) for deduplication")
def m050():
    d = t(11, 19, 8, 30, 44)
    h = delivery(DANIEL[1], d, "smtp.club-internet.example", "203.0.113.45", "050", tls=False)
    h += [("Date", rfc_date(d)),
          ("From", addr(*DANIEL)),
          ("To", MBOX),
          ("Subject", ew("Toujours pas de référent RSA après 8 mois")),
          ("MIME-Version", "1.0"),
          ("Content-Type", "text/plain; charset=utf-8"),
          ("Content-Transfer-Encoding", "quoted-printable"),
          ("X-Mailer", "Claws Mail 4.1.1 (GTK 3.24.38; x86_64-pc-linux-gnu)")]
    return message(h, qp(T050))


# =========================================================================== 051 not an e-mail at all

@mail("051-pas-un-email-binaire.eml", "quarantine", sender="(none)",
      exercises="not an e-mail: 512 bytes of binary junk (seeded random, contains NUL bytes, no header block)")
def m051():
    r = random.Random(51)
    return bytes(r.randrange(256) for _ in range(512))


# =========================================================================== 052 eM Client, archives départementales

HELENE = ("Hélène Bouvier", "helene.bouvier@wanadoo.example")
T052 = """Madame la Médiatrice,

Généalogiste amateur et adhérente d'un cercle de généalogie du Nord-Isère, je fréquente depuis quinze ans la salle de lecture des Archives départementales.

Depuis le 1er juillet 2026, les lecteurs ne sont plus autorisés à photographier eux-mêmes les registres paroissiaux et les minutes notariales anciennes : il faut commander des reproductions à 1,50 € la vue, avec un délai de plusieurs semaines. Pour mes recherches, cela représente plusieurs centaines d'euros. Aucune information préalable n'a été donnée aux lecteurs et la délibération fixant ces tarifs n'est pas consultable sur place.

J'ai écrit au directeur des Archives le 12 août pour demander les raisons de cette interdiction et une dérogation pour les documents déjà numérisés. La réponse du 9 septembre se borne à renvoyer au « règlement de la salle de lecture », sans répondre à mes questions.

Je souhaite obtenir une véritable explication et, si possible, une solution pour les lecteurs réguliers.

Bien cordialement,

Hélène Bouvier
14 rue Pasteur, 38110 La Tour-du-Pin
04 65 71 42 96
"""


@mail("052-archives-departementales-em-client.eml", "open", dossier="MED-2026-00034",
      triage="autres_politiques / recevable / none", sender=HELENE[1],
      exercises="eM Client: multipart/alternative, Reply-To identical to From, text utf-8 QP + HTML; last file in ingestion order")
def m052():
    d = t(11, 23, 15, 10, 18)
    bd = "------=_MB" + uuid_like("052", upper=True)
    h = delivery(HELENE[1], d, "smtp.wanadoo.example", "198.51.100.88", "052", auth=spf("wanadoo.example", "198.51.100.88"))
    h += [("From", addr(*HELENE)),
          ("To", MBOX),
          ("Subject", ew("Archives départementales - interdiction de photographier les registres")),
          ("Date", rfc_date(d)),
          ("Message-Id", f"<em{uuid_like('052m')}@desktop-h7k2b4q>"),
          ("Reply-To", addr(*HELENE)),
          ("User-Agent", "eM_Client/10.1.4588.0"),
          ("Mime-Version", "1.0"),
          ("Content-Type", f'multipart/alternative;\n boundary="{bd}"')]
    html = '<html><head><style type="text/css">#x1a2{font-family:Tahoma;font-size:12pt}</style></head><body><div id="x1a2">' + \
        "".join(f"<div>{html_escape(l) if l else '<br />'}</div>" for l in T052.split("\n")) + "</div></body></html>"
    body = multipart(bd, [
        part([("Content-Type", "text/plain; format=flowed; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp(flowed(T052))),
        part([("Content-Type", "text/html; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")], qp(html)),
    ])
    return message(h, body)


# =========================================================================== README + expected.json

ACTIONS = {
    "open": "open a new dossier (reference in the Dossier column) and acknowledge it by e-mail if an address is known",
    "attach": "attach to the existing dossier named in the Dossier column, as a message from the citizen (with its attachments)",
    "flag": "keep for human review (flag); do NOT attach, do NOT open a dossier, send nothing",
    "auto-reply": "record as an automatic reply (vacation / read receipt): no dossier, not attached as a citizen message, never answered",
    "bounce": "record as a delivery failure of our acknowledgement for the dossier in the Dossier column; mark that dossier's e-mail address as undeliverable",
    "list": "record as list / bulk mail: no dossier, no acknowledgement",
    "quarantine": "quarantine (malformed or not an e-mail): keep the raw bytes aside, no dossier, nothing sent",
    "duplicate": "duplicate of an already ingested message: no new dossier, no second acknowledgement",
}

README_HEAD = """# Sample mailbox

Raw RFC 5322 messages (one `.eml` file each) as they arrive in the mediation mailbox
`mediation@isere.example`. They are **generated** — do not edit by hand, edit
`data/samples/tools/make_mailbox.py` and re-run it:

    /work/main/.venv/bin/python data/samples/tools/make_mailbox.py

The script is deterministic (fixed dates, ids, boundaries and random seeds): re-running it
rewrites byte-identical files, this README and `expected.json` (the same table, machine-readable).

## Conventions

- **Ingestion order is the file-name order** (`001-…` to `052-…`); dates also increase with the number
  (5 October → 23 November 2026), except the duplicate 041 which carries 020's date.
- Everybody and everything is fictitious. The Département is `isere.example`; citizens use other
  reserved `*.example` domains (`gmail.example`, `orange.example`, `free.example`…). Phone numbers come from
  the ARCEP ranges reserved for fiction (`06 39 98 xx xx`, `04 65 71 xx xx`); IPs from documentation ranges.
- Files use CRLF line endings, except `010` (bare LF, as some tools save them) and `051` (binary junk).
- Our acknowledgements are not in this folder; the tests pretend they were sent with
  `Message-ID: <ack.MED-2026-NNNNN.fake@isere.example>` and
  `Subject: Votre demande de médiation MED-2026-NNNNN — accusé de réception`. 018 and 019 refer to a
  later message of ours, `<msg.MED-2026-00003.1.fake@isere.example>` ("Dossier MED-2026-00003 — pièces complémentaires").
- Dossier references assume an **empty database** and that references are given **sequentially, in
  ingestion order, only to the messages that open a dossier** (first one = `MED-2026-00001`). With that rule
  001 → 00001, 002 → 00002, 004 → 00003, which is what the replies, bounces and auto-replies refer to.
- Triage = `domain / admissibility / reorientation` with the codes of `/work/shared/TAXONOMY.md`
  (for rows that open a dossier).

## Expected actions

| Action | Meaning |
|---|---|
""" + "".join(f"| `{k}` | {v} |\n" for k, v in ACTIONS.items())

README_TAIL = """
## Points worth an explicit assertion

- **001 / 006**: 006 must land in MED-2026-00001 (same From as 001, In-Reply-To = our ack, PDF `Refus CMI MDA 19-06-2026.pdf`
  of type application/pdf). Only the text above the `Le 05/10/2026 à 11:32, … a écrit :` line is new content.
- **002 / 003**: the form's `Courriel` (and Reply-To) is `christianne.vial@wanadoo.example` (typo); the DSN 003 reports
  `Status: 5.1.1` for that address and carries our original `<ack.MED-2026-00002.fake@isere.example>` in a `message/rfc822` part.
- **009**: the body must read `3 412,57 €`, `“trop-perçu”`, `m’adresse`, `sœur`, `…` — i.e. decoded as windows-1252 although
  the header says iso-8859-1. A strict latin-1 decode gives C1 control characters instead (U+0080, U+0092…).
- **010**: `Content-Type: text/plain` without charset, UTF-8 bytes (`reçu`, `électricité`, `Cèdres`).
- **015**: no MIME headers at all, latin-1 bytes (`retraitée`, `« en cours de traitement »`).
- **012**: HTML only; after sanitising, the text must contain `700,90 €` and `RD 1532` and must contain none of
  `trackOpen`, `crm-tracker`, `document.write`, `<script`; remote images must not be fetched.
- **013**: subject and In-Reply-To look like a citizen reply to MED-2026-00010, but `Auto-Submitted: auto-replied` wins.
- **016, 032**: web forms without e-mail: no Reply-To, the form line is exactly `Courriel :` (nothing after the colon).
  The other form fields are `Label : value` on one line each, in the order Civilité, Nom, Prénom, Adresse, Code postal,
  Commune, Téléphone, Courriel, Service concerné, Démarches déjà effectuées, Objet de la demande, then `Message :`
  followed by the free text up to the end of the text/plain part. Form bodies are UTF-8 quoted-printable.
- **017**: one image/jpeg attachment `IMG_20261020_174210.jpg` (real JPEG, 1280×960).
- **019**: refers to MED-2026-00003 but comes from `olivier.guillot@sfr.example`, while the dossier's address is
  `nathalie.guillot@outlook.example`: flag, do not attach.
- **021**: the PDF `Réponse Isère THD.pdf` is nested in multipart/alternative → multipart/mixed with
  `Content-Disposition: inline`; it is a real attachment.
- **023**: attachment named `….docx`, declared as a Word document, whose bytes start with `%PDF-`: store/handle it as a PDF.
- **028**: recevable for the CDAPH decision and reoriented to `education_nationale` for the absent AESH.
- **034**: not a DSN (single text/plain); the returned message is only recognisable from the From/Subject and the
  pasted `Message-ID: <ack.MED-2026-00024.fake@isere.example>`.
- **039**: about 1.6 MB on disk (JPEG ~1.2 MB): over 1 MB, under 2 MB.
- **041**: byte-identical to 020 (same SHA-256, same Message-ID).
- **042**: the decoded display name is `Médiation départementale <mediation@isere.example>`; the sender address is
  `securite-messagerie@isere-mail.example`. Anything that records `mediation@isere.example` as the sender is wrong.
- **044**: MDN read receipt for our ack of MED-2026-00020: `References` points to our ack, yet it is not a citizen reply.
- **047**: `mediation@isere.example` is only in `Cc`; a read receipt is requested (`Disposition-Notification-To`).
- **049**: the text parts are empty apart from `Envoyé de mon iPhone`; the request is in the PDF's text layer.
- **050**: no Message-ID header.
- **030, 037, 040, 046, 051**: malformed, see the table. Python's `email` parser reports a defect at parse time for
  030, 040, 046 and 051; for 037 the defect appears when the attachment is decoded (`get_payload(decode=True)`).
"""


def md_safe(s: str) -> str:
    """Escape < and > outside `code spans` so that Markdown renderers keep them."""
    seg = s.split("`")
    for i in range(0, len(seg), 2):
        seg[i] = seg[i].replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return "`".join(seg)


def write_readme():
    rows = []
    counts: dict[str, int] = {}
    for i, m in enumerate(MESSAGES, 1):
        counts[m["action"]] = counts.get(m["action"], 0) + 1
        rows.append(f"| {m['file'][:3]} | `{m['file']}` | {md_safe(m['sender'])} | {md_safe(m['exercises'])} | `{m['action']}` | "
                    f"{m['dossier'] or '—'} | {('`' + m['triage'] + '`') if m['triage'] else '—'} |")
    table = ("\n## Files\n\n| # | File | Sender (addr-spec) | What it exercises | Action | Dossier | Triage |\n"
             "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    summary = "\nTotals: " + ", ".join(f"{v} `{k}`" for k, v in counts.items()) + f" — {len(MESSAGES)} files.\n"
    (OUT / "README.md").write_text(README_HEAD + table + summary + README_TAIL, encoding="utf-8")
    import json
    exp = [{k: m[k] for k in ("file", "action", "dossier", "triage", "sender")} for m in MESSAGES]
    for e in exp:
        if e["triage"]:
            dom, adm, reo = [x.strip() for x in e["triage"].split("/")]
            e["triage"] = {"domain": dom, "admissibility": adm, "reorientation": reo}
        else:
            e["triage"] = None
        e["dossier"] = e["dossier"] or None
        first = e["sender"].split(" ")[0]
        e["sender_address"] = first if "@" in first and not first.startswith("(") else None
    (OUT / "expected.json").write_text(json.dumps(exp, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def check(files: dict[str, bytes]):
    from email import policy
    from email.parser import BytesParser

    mids: dict[str, str] = {}
    for name, raw in files.items():
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        defects = [type(d).__name__ for p in msg.walk() for d in p.defects]
        mid = msg.get("Message-ID")
        if mid:
            if mid in mids and not name.startswith("041"):
                raise SystemExit(f"duplicate Message-ID {mid} in {name} and {mids[mid]}")
            mids.setdefault(mid, name)
        size = len(raw)
        assert size < 2_000_000, name
        print(f"{name:55s} {size:>9,d} B  {'defects: ' + ','.join(sorted(set(defects))) if defects else ''}")
    assert files["041-doublon-exact-de-020.eml"] == files["020-voisinage-haie-hors-champ-gmail.eml"]
    opened = [m for m in MESSAGES if m["action"] == "open"]
    for n, m in enumerate(opened, 1):
        assert m["dossier"] == f"MED-2026-{n:05d}", (m["file"], m["dossier"])


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = {m["file"] for m in MESSAGES}
    for old in OUT.glob("*.eml"):
        if old.name not in wanted:
            old.unlink()
    files = {}
    for m in MESSAGES:
        raw = m["fn"]()
        (OUT / m["file"]).write_bytes(raw)
        files[m["file"]] = raw
    write_readme()
    check(files)
    print(f"{len(files)} messages written to {OUT}")


if __name__ == "__main__":
    main()
