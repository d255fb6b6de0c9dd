"""The trailer of mmfast's binary format (cpp/serialization.cc), re-implemented
so that tests and the fuzz target can forge files whose checksum is right
and reach the parser behind it."""

from __future__ import annotations

_MASK = (1 << 64) - 1
_PRIME = 0x100000001B3
_SEED = 0xCBF29CE484222325
_BLOCK = 1 << 16  # kChecksumBlock


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _MASK


def _update(h: int, data: bytes) -> int:
    lanes = [h, h ^ 0x9E3779B97F4A7C15, (h + _PRIME) & _MASK, _rotl(h, 17)]
    i = 0
    while i + 32 <= len(data):
        for k in range(4):
            word = int.from_bytes(data[i + 8 * k : i + 8 * k + 8], "little")
            lanes[k] = _rotl(((lanes[k] ^ word) * _PRIME) & _MASK, 29)
        i += 32
    h = lanes[0] ^ _rotl(lanes[1], 7) ^ _rotl(lanes[2], 13) ^ _rotl(lanes[3], 23)
    for byte in data[i:]:
        h = ((h ^ byte) * _PRIME) & _MASK
    return ((h ^ len(data)) * _PRIME) & _MASK


def checksum(body: bytes) -> int:
    h = _SEED
    for start in range(0, len(body), _BLOCK):
        h = _update(h, body[start : start + _BLOCK])
    return h


def reseal(data: bytes) -> bytes:
    """`data` (a file, damaged or not) with its trailing checksum recomputed."""
    body = data[:-8] if len(data) >= 16 else data
    return body + checksum(body).to_bytes(8, "little")


def reseal_dataset_header(data: bytes) -> bytes:
    """A compiled dataset (cpp/dataset_format.h) with its header's checksum
    recomputed: 24 bytes of FileHeader, 32 per section entry, then the sum."""
    used = 24 + 32 * int.from_bytes(data[12:16], "little")
    return data[:used] + _update(_SEED, data[:used]).to_bytes(8, "little") + data[used + 8:]
