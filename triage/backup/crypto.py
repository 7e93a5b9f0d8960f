"""Encrypted backups: AES-256-GCM over the whole archive, the key derived from a passphrase by scrypt.

Layout of an encrypted file::

    MAGIC (16 bytes) | header length (4 bytes, big-endian) | header (JSON) | ciphertext | GCM tag (16 bytes)

The header names the algorithms and carries the scrypt salt and parameters, the GCM nonce and a
passphrase check; it is authenticated as associated data, so it cannot be altered unnoticed.
scrypt gives 64 bytes: the first 32 are the AES key, the SHA-256 of the last 32 is the passphrase
check, which tells a wrong passphrase from a damaged file before anything is decrypted. Encryption
streams (an archive is never held in memory); decryption writes the plaintext to a private file that
is trusted only once the tag has been verified at the very end.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
from pathlib import Path
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from triage.errors import BackupError
from triage.files import open_private

MAGIC = b"MEDIATURE-ENC-1\n"
TAG_BYTES = 16
CHUNK = 1 << 20
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1  # 128 MiB and about half a second per derivation
MAX_HEADER = 4096


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, str]:
    material = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return material[:32], hashlib.sha256(material[32:]).hexdigest()


def is_encrypted(path: Path) -> bool:
    """Whether a file starts like an encrypted Médiature backup."""
    with open(path, "rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


class EncryptingWriter:
    """A write-only file object: what is written is encrypted into `out`; close() appends the tag."""

    def __init__(self, out: IO[bytes], passphrase: str) -> None:
        if not passphrase:
            raise BackupError("phrase de passe vide : chiffrement impossible")
        salt, nonce = os.urandom(16), os.urandom(12)
        key, check = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        header = json.dumps(
            {
                "cipher": "AES-256-GCM",
                "kdf": "scrypt",
                "n": SCRYPT_N,
                "r": SCRYPT_R,
                "p": SCRYPT_P,
                "salt": base64.b64encode(salt).decode(),
                "nonce": base64.b64encode(nonce).decode(),
                "check": check,
            },
            sort_keys=True,
        ).encode()
        self._out = out
        self._encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
        self._encryptor.authenticate_additional_data(MAGIC + header)
        out.write(MAGIC + struct.pack(">I", len(header)) + header)
        self.closed = False

    def write(self, data: bytes) -> int:
        self._out.write(self._encryptor.update(data))
        return len(data)

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        if not self.closed:
            self._out.write(self._encryptor.finalize() + self._encryptor.tag)
            self._out.flush()
            self.closed = True


def decrypt_file(source: Path, destination: Path, passphrase: str | None) -> None:
    """Decrypt an encrypted backup into destination (created 0600); BackupError in French on any doubt."""
    if not passphrase:
        raise BackupError(
            "cette sauvegarde est chiffrée : donnez sa phrase de passe (--passphrase-file ou "
            "MEDIATURE_BACKUP_PASSPHRASE)"
        )
    size = source.stat().st_size
    with open(source, "rb") as fh:
        fh.seek(len(MAGIC))
        raw_len = fh.read(4)
        (header_len,) = struct.unpack(">I", raw_len) if len(raw_len) == 4 else (MAX_HEADER + 1,)
        if header_len > MAX_HEADER:
            raise BackupError("sauvegarde chiffrée endommagée : en-tête illisible")
        header_bytes = fh.read(header_len)
        try:
            header = json.loads(header_bytes)
            salt, nonce = base64.b64decode(header["salt"]), base64.b64decode(header["nonce"])
            params = int(header["n"]), int(header["r"]), int(header["p"])
        except (ValueError, KeyError, TypeError) as err:
            raise BackupError("sauvegarde chiffrée endommagée : en-tête illisible") from err
        if header.get("cipher") != "AES-256-GCM" or header.get("kdf") != "scrypt" or params[0] > 2**20:
            raise BackupError("sauvegarde chiffrée d'un format inconnu")
        key, check = _derive(passphrase, salt, *params)
        if not hmac.compare_digest(check, str(header.get("check", ""))):
            raise BackupError("phrase de passe incorrecte : la sauvegarde ne peut pas être déchiffrée")
        body_end = size - TAG_BYTES
        if body_end < fh.tell():
            raise BackupError("sauvegarde chiffrée tronquée")
        fh.seek(body_end)
        tag = fh.read(TAG_BYTES)
        fh.seek(len(MAGIC) + 4 + header_len)
        decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(MAGIC + header_bytes)
        with open_private(destination) as out:
            left = body_end - fh.tell()
            while left > 0:
                block = fh.read(min(CHUNK, left))
                if not block:
                    break
                left -= len(block)
                out.write(decryptor.update(block))
            try:
                out.write(decryptor.finalize())
            except InvalidTag as err:
                raise BackupError(
                    "sauvegarde chiffrée altérée ou tronquée : le contrôle d'intégrité a échoué, "
                    "rien n'a été restauré"
                ) from err
