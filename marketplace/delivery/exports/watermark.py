"""The per-buyer watermark of exported files: a keyed parity in the decimals (DESIGN.md §2, flow 5).

Every decimal (``float64``) cell that is not a whole number carries one mark, decided by the
cell alone, so that no row key is needed and re-sorting the rows or dropping columns leaves
every remaining cell's mark readable:

- the value is read at :data:`SIGNIFICANT_DIGITS` significant digits: ``|v| = n × 10^(e-10)``
  with ``e`` its decimal exponent and ``n`` an integer of eleven digits;
- ``n`` without its last bit (``n >> 1``) and ``e`` are the cell's *base*; a keyed function of
  the base under the entitlement's key (:func:`entitlement_key`) gives one bit;
- the cell is written with ``n``'s last bit set to that bit: it moves by at most one unit in
  the eleventh significant digit (``3.14`` may become ``3.1400000001``), far below any
  precision a dataset declares, and changes nothing else. Only cells whose ``n`` lies strictly
  inside its decade carry a mark, so the marked value reads back with the same exponent and
  ``n`` (a double holds ``n / 10^k`` to 1e-16, far inside half a unit); values at 1e11 and
  above or below 1e-12 are left as they are.

:func:`score` reads the same parities from a file and counts, over its distinct decimals, how
many agree with a candidate entitlement's bits. For the entitlement the file was issued under
every marked cell agrees; for any other key (or a file never marked) each distinct cell agrees
by a fair coin. The Hoeffding bound ``exp(-2N(k/N - 1/2)^2)`` is an upper bound on the chance
that ``k`` of ``N`` coins agree by luck; a candidate is named only when that bound is below
:data:`FALSE_ACCUSATION` divided by the number of candidates. docs/decisions.md says what the
mark survives and what it does not.

The keyed function is two rounds of the MurmurHash3 finaliser with 128 bits of key, computed
by Arrow over whole columns (millions of cells a second); the key itself is HMAC-SHA256 of the
entitlement under the platform's secret, so no one without the secret can compute the bits.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

#: The digit position the mark sits in, counted from the first significant digit.
SIGNIFICANT_DIGITS = 11
#: Decimal exponents of the values that carry a mark (10^k exact in a double for k ≤ 22).
MIN_EXPONENT, MAX_EXPONENT = -12, SIGNIFICANT_DIGITS - 1
#: The chance, at most, that a file is attributed to an entitlement it was not issued under.
FALSE_ACCUSATION = 1e-9
#: Distinct decimals scored per file at most (more add certainty nobody needs, and time).
MAX_VOTES = 200_000

_U64 = pa.uint64()
_N_LOW = float(10 ** (SIGNIFICANT_DIGITS - 1) + 1)
_N_HIGH = float(10 ** SIGNIFICANT_DIGITS - 1)
_M1 = pa.scalar(0xFF51AFD7ED558CCD, _U64)
_M2 = pa.scalar(0xC4CEB9FE1A85EC53, _U64)
_GOLDEN = pa.scalar(0x9E3779B97F4A7C15, _U64)
_S33 = pa.scalar(33, _U64)
_S63 = pa.scalar(63, _U64)


def entitlement_key(secret: str | bytes, entitlement_id: int) -> bytes:
    """The watermark key of one entitlement: HMAC-SHA256 of its id under the platform's secret."""
    if isinstance(secret, str):
        secret = secret.encode()
    return hmac.new(secret, f"export-watermark:{int(entitlement_id)}".encode(),
                    hashlib.sha256).digest()


def _fmix(h: pa.Array) -> pa.Array:
    h = pc.bit_wise_xor(h, pc.shift_right(h, _S33))
    h = pc.multiply(h, _M1)  # wraps around, as the finaliser means it to
    h = pc.bit_wise_xor(h, pc.shift_right(h, _S33))
    h = pc.multiply(h, _M2)
    return pc.bit_wise_xor(h, pc.shift_right(h, _S33))


def keyed_bits(key: bytes, exponents: pa.Array, bases: pa.Array) -> pa.Array:
    """The mark (0 or 1, ``uint64``) the holder of ``key`` gets for each (exponent, base)."""
    k1 = pa.scalar(int.from_bytes(key[:8], "big"), _U64)
    k2 = pa.scalar(int.from_bytes(key[8:16], "big"), _U64)
    h = _fmix(pc.bit_wise_xor(bases.cast(_U64), k1))
    shifted = pc.add(exponents, 64).cast(_U64)  # exponents are small: never negative here
    h = pc.bit_wise_xor(pc.bit_wise_xor(h, pc.multiply(shifted, _GOLDEN)), k2)
    return pc.shift_right(_fmix(h), _S63)


@dataclass(frozen=True)
class _Digits:
    """Where each value of a float array sits at the marked digit."""

    carries: pa.Array  # bool: the value can carry a mark
    exponent: pa.Array  # int64, decimal exponent
    scale: pa.Array  # float64, 10^(SIGNIFICANT_DIGITS - 1 - exponent)
    n: pa.Array  # int64, |v| × scale rounded


def _digits(values: pa.Array) -> _Digits:
    values = values.cast(pa.float64())
    magnitude = pc.abs(values)
    whole = pc.equal(pc.floor(magnitude), magnitude)
    exponent = pc.floor(pc.log10(pc.if_else(pc.greater(magnitude, 0), magnitude, 1.0)))
    carries = pc.and_(pc.and_(pc.is_finite(magnitude), pc.invert(whole)),
                      pc.and_(pc.greater_equal(exponent, MIN_EXPONENT),
                              pc.less_equal(exponent, MAX_EXPONENT)))
    carries = pc.fill_null(carries, False)
    exponent = pc.if_else(carries, exponent, 0.0)
    scale = pc.power(10.0, pc.subtract(float(SIGNIFICANT_DIGITS - 1), exponent))
    n = pc.round(pc.multiply(pc.if_else(carries, magnitude, 0.0), scale))
    # Strictly inside the decade, so that a marked value (n ± 1) reads back in the same decade
    # with the same n, and a misjudged decade (log10 next to a power of ten) carries nothing.
    carries = pc.and_(carries, pc.and_(pc.greater(n, _N_LOW), pc.less(n, _N_HIGH)))
    return _Digits(carries, exponent.cast(pa.int64()), scale, n.cast(pa.int64()))


def mark(values: pa.Array, key: bytes) -> tuple[pa.Array, int]:
    """``values`` (a float array) with the mark of ``key`` in every cell that can carry one,
    and how many cells carry it."""
    digits = _digits(values)
    base = pc.shift_right(digits.n, 1)
    bits = keyed_bits(key, digits.exponent, base).cast(pa.int64())
    marked = pc.divide(pc.add(pc.shift_left(base, 1), bits).cast(pa.float64()), digits.scale)
    marked = pc.if_else(pc.less(values, 0), pc.negate(marked), marked)
    result = pc.if_else(digits.carries, marked, values.cast(pa.float64()))
    return result.cast(values.type), pc.sum(digits.carries).as_py() or 0


def votes(values: pa.Array) -> pa.Array:
    """The distinct (exponent, digits) of the decimals in ``values``, packed in ``uint64``
    (exponent in the high bits, ``n`` in the low 40): what :func:`score` weighs."""
    digits = _digits(values)
    exponent = pc.filter(digits.exponent, digits.carries)
    n = pc.filter(digits.n, digits.carries)
    packed = pc.bit_wise_or(pc.shift_left(pc.add(exponent, 64).cast(_U64),
                                          pa.scalar(40, _U64)), n.cast(_U64))
    return pc.unique(packed)


@dataclass(frozen=True)
class Score:
    """How one candidate's bits agree with a file's decimals."""

    votes: int
    agreeing: int

    @property
    def share(self) -> float:
        return self.agreeing / self.votes if self.votes else 0.0

    @property
    def chance(self) -> float:
        """An upper bound on the chance of agreeing this much by luck (Hoeffding)."""
        if not self.votes or self.agreeing * 2 <= self.votes:
            return 1.0
        return math.exp(-2 * self.votes * (self.share - 0.5) ** 2)

    def names(self, candidates: int) -> bool:
        """Whether this score attributes the file, among ``candidates`` candidates."""
        return self.chance < FALSE_ACCUSATION / max(1, candidates)


def score(packed: pa.Array, key: bytes) -> Score:
    """How many of the distinct decimals ``packed`` (from :func:`votes`) carry ``key``'s bit."""
    if len(packed) == 0:
        return Score(0, 0)
    packed = packed.cast(_U64)
    n = pc.bit_wise_and(packed, pa.scalar((1 << 40) - 1, _U64))
    exponent = pc.subtract(pc.shift_right(packed, pa.scalar(40, _U64)).cast(pa.int64()), 64)
    bits = keyed_bits(key, exponent, pc.shift_right(n, pa.scalar(1, _U64)))
    parity = pc.bit_wise_and(n, pa.scalar(1, _U64))
    return Score(len(packed), pc.sum(pc.equal(bits, parity)).as_py() or 0)
