"""Butterworth filters as second-order sections, in numpy alone (what the drills need of
``scipy.signal``: ``butter(..., output="sos")``, ``sosfilt``, ``sosfilt_zi``, ``sosfiltfilt``),
and a moving average (``scipy.ndimage.uniform_filter1d``).

Why not SciPy: ``import scipy.signal`` costs ~0.8 s of CPU with SciPy 1.17 (it imports
scipy.stats, optimize, interpolate…), more than the whole analysis of an hour-long session;
``scipy.ndimage`` ~0.3 s. The same designs and the same outputs (to rounding: the tests compare
with SciPy) for a few milliseconds of import.

Filtering runs in blocks of ``BLOCK`` samples: within a block the output is the input convolved
with the section's impulse response plus the response to the block's initial state (two small
matrix products for all blocks at once); only the 2-value state is carried from block to block
in Python. Short inputs (live batches) run the plain recurrence (direct form II transposed, as
``scipy.signal.sosfilt``). Either way the state carries over between calls, so filtering a
signal in pieces gives what filtering it at once gives (to rounding).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Samples per block of the blocked filter (and the longest input filtered sample by sample).
BLOCK = 64


def butter_sos(order: int, cutoff_hz: float | tuple[float, float], fs_hz: float,
               btype: Literal["lowpass", "highpass", "bandpass"] = "lowpass") -> FloatArray:
    """Digital Butterworth filter as second-order sections (n_sections×6, ``b0 b1 b2 1 a1 a2``),
    designed like ``scipy.signal.butter(order, cutoff_hz, btype, fs=fs_hz, output="sos")``:
    analog prototype, frequencies pre-warped, bilinear transform. Band-pass: order per edge
    (2·order poles), like SciPy. Designs are remembered (a filter per hold of an hour's
    holds): each call returns its own copy."""
    edges = tuple(float(e) for e in np.atleast_1d(np.asarray(cutoff_hz, dtype=np.float64)))
    return _butter_sos(int(order), edges, float(fs_hz), btype).copy()


@lru_cache(maxsize=64)
def _butter_sos(order: int, cutoff: tuple[float, ...], fs_hz: float,
                btype: Literal["lowpass", "highpass", "bandpass"]) -> FloatArray:
    cutoff_hz = cutoff[0] if len(cutoff) == 1 else cutoff
    if order < 1:
        raise ValueError(f"filter order must be at least 1, got {order}")
    edges = np.atleast_1d(np.asarray(cutoff_hz, dtype=np.float64)) * 2.0 / float(fs_hz)
    if btype == "bandpass" and (edges.shape != (2,) or not edges[0] < edges[1]):
        raise ValueError("a band-pass filter needs two increasing edge frequencies")
    if btype != "bandpass" and edges.shape != (1,):
        raise ValueError("a low- or high-pass filter needs one cutoff frequency")
    if not (np.all(edges > 0) and np.all(edges < 1)):
        raise ValueError("cutoff frequencies must lie strictly between 0 and fs/2")
    m = np.arange(-order + 1, order, 2)
    p = -np.exp(1j * math.pi * m / (2 * order))  # analog prototype poles (no zeros), gain 1
    z = np.empty(0, dtype=complex)
    k = 1.0
    warped = 4.0 * np.tan(math.pi * edges / 2.0)  # scipy designs at fs = 2
    if btype == "lowpass":
        wo = float(warped[0])
        z, p, k = z * wo, p * wo, k * wo ** order
    elif btype == "highpass":
        wo = float(warped[0])
        k = k * float(np.real(1.0 / np.prod(-p)))
        z, p = np.zeros(order, dtype=complex), wo / p
    else:
        bw = float(warped[1] - warped[0])
        wo = math.sqrt(float(warped[0] * warped[1]))
        p_lp = p * bw / 2.0
        root = np.sqrt(p_lp * p_lp - wo * wo)
        p = np.concatenate((p_lp + root, p_lp - root))
        z = np.zeros(order, dtype=complex)
        k = k * bw ** order
    # bilinear transform (fs = 2: 2·fs = 4)
    k = k * float(np.real(np.prod(4.0 - z) / np.prod(4.0 - p)))
    zd = np.concatenate(((4.0 + z) / (4.0 - z), -np.ones(p.shape[0] - z.shape[0])))
    pd = (4.0 + p) / (4.0 - p)
    return _to_sos(zd, pd, k)


def _to_sos(z: NDArray[np.complex128], p: NDArray[np.complex128], k: float) -> FloatArray:
    """Sections from the zeros (each +1 or −1 for these designs) and poles: conjugate pole pairs
    (real poles two by two), each with as many zeros as poles — a +1 and a −1 together while
    both kinds are left; the gain goes to the first section."""
    plus = int((z.real > 0).sum())
    minus = z.shape[0] - plus
    pairs = _pairs(p)
    sos = np.zeros((len(pairs), 6))
    for i, (p1, p2) in enumerate(pairs):
        b = np.array([1.0])
        for _ in range(1 if p2 is None else 2):
            if plus and plus >= minus:
                b, plus = np.convolve(b, [1.0, -1.0]), plus - 1
            elif minus:
                b, minus = np.convolve(b, [1.0, 1.0]), minus - 1
        a = np.real(np.convolve([1.0, -p1], [1.0, -p2] if p2 is not None else [1.0]))
        sos[i, : b.shape[0]] = b
        sos[i, 3 : 3 + a.shape[0]] = a
    sos[0, :3] *= k
    return sos


def _pairs(p: NDArray[np.complex128]) -> list[tuple[complex, complex | None]]:
    """Poles as conjugate pairs (upper half plane first), real poles two by two."""
    cplx = sorted((q for q in p if q.imag > 1e-14 * max(1.0, abs(q))), key=lambda q: q.real)
    real = sorted(float(q.real) for q in p if abs(q.imag) <= 1e-14 * max(1.0, abs(q)))
    out: list[tuple[complex, complex | None]] = [(q, q.conjugate()) for q in cplx]
    while real:
        a = real.pop()
        out.append((complex(a), complex(real.pop())) if real else (complex(a), None))
    return out


def sosfilt_zi(sos: ArrayLike) -> FloatArray:
    """Initial states (n_sections×2) for a step response in steady state, as
    ``scipy.signal.sosfilt_zi``: multiply by the first input value."""
    s = np.asarray(sos, dtype=np.float64)
    zi = np.empty((s.shape[0], 2))
    scale = 1.0
    for i, (b0, b1, b2, a0, a1, a2) in enumerate(s):
        b0, b1, b2, a1, a2 = b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0
        # steady state of direct form II transposed: (I − Aᵀ) z = b[1:] − a[1:]·b0
        m = np.array([[1.0 + a1, -1.0], [a2, 1.0]])
        zi[i] = scale * np.linalg.solve(m, np.array([b1 - a1 * b0, b2 - a2 * b0]))
        scale *= (b0 + b1 + b2) / (1.0 + a1 + a2)
    return zi


@overload
def sosfilt(sos: ArrayLike, x: ArrayLike, zi: None = None, axis: int = -1) -> FloatArray: ...


@overload
def sosfilt(sos: ArrayLike, x: ArrayLike, zi: ArrayLike, axis: int = -1
            ) -> tuple[FloatArray, FloatArray]: ...


def sosfilt(sos: ArrayLike, x: ArrayLike, zi: ArrayLike | None = None, axis: int = -1
            ) -> FloatArray | tuple[FloatArray, FloatArray]:
    """``scipy.signal.sosfilt``: the cascade over ``axis``; with ``zi`` (n_sections × the other
    dimensions × 2) also returns the final states."""
    s = np.asarray(sos, dtype=np.float64)
    xx = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    shape = xx.shape
    if xx.size == 0:
        empty = np.moveaxis(xx.copy(), -1, axis)
        return empty if zi is None else (empty, np.array(zi, dtype=np.float64))
    y = np.array(xx.reshape(-1, shape[-1]))  # rows: signals
    zs = (np.zeros((s.shape[0], y.shape[0], 2)) if zi is None
          else np.array(np.asarray(zi, dtype=np.float64).reshape(s.shape[0], -1, 2)))
    for i in range(s.shape[0]):
        y = _section(s[i], y, zs[i])
    out = np.moveaxis(y.reshape(shape), -1, axis)
    if zi is None:
        return out
    return out, zs.reshape(np.shape(zi))


def _section(c: FloatArray, x: FloatArray, z: FloatArray) -> FloatArray:
    """One section over rows of ``x`` (m×n) from states ``z`` (m×2, updated in place)."""
    b0, b1, b2, a0, a1, a2 = (float(v) for v in c)
    coef = (b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0)
    m, n = x.shape
    if n <= BLOCK:
        return _recurrence(coef, x, z)
    t_mat, g_mat, h_mat, f_pow, q_mat, r_mat = _block_matrices(coef)
    nb = -(-n // BLOCK)
    xb = np.zeros((m, nb * BLOCK))
    xb[:, :n] = x
    xb = xb.reshape(m, nb, BLOCK)
    u = xb @ h_mat.T  # (m, nb, 2): each block's input carried to the block's end state
    # the state at each block start, z_{k+1} = F z_k + u_k, by groups of GROUP blocks
    ng = -(-nb // GROUP)
    ug = np.zeros((m, ng * GROUP, 2))
    ug[:, :nb] = u
    ug = ug.reshape(m, ng, 2 * GROUP)
    from_inputs = (ug @ q_mat.T).reshape(m, ng, GROUP, 2)
    group_ends = ug @ r_mat.T  # (m, ng, 2)
    f_group = f_pow[GROUP]
    zg = np.empty((m, ng, 2))
    zc = np.array(z, dtype=np.float64)
    for g in range(ng):
        zg[:, g] = zc
        zc = zc @ f_group.T + group_ends[:, g]
    starts = (from_inputs + np.einsum("jab,mgb->mgja", f_pow[:GROUP], zg)
              ).reshape(m, ng * GROUP, 2)[:, :nb]
    yb = xb @ t_mat.T
    yb += starts @ g_mat.T
    y = yb.reshape(m, nb * BLOCK)[:, :n]
    tail = n - (nb - 1) * BLOCK
    if tail == BLOCK:
        z[:] = starts[:, -1] @ f_pow[1].T + u[:, -1]
    else:  # the end state after the last real sample: the partial last block sample by sample
        zz = np.array(starts[:, -1])
        _recurrence(coef, np.ascontiguousarray(x[:, n - tail :]), zz)
        z[:] = zz
    return np.ascontiguousarray(y)


#: Blocks per group when carrying the state from block to block.
GROUP = 64


def _recurrence(coef: tuple[float, float, float, float, float], x: FloatArray, z: FloatArray
                ) -> FloatArray:
    """Direct form II transposed, sample by sample (short inputs), as scipy's sosfilt."""
    b0, b1, b2, a1, a2 = coef
    y = np.empty_like(x)
    for r in range(x.shape[0]):
        z0, z1 = float(z[r, 0]), float(z[r, 1])
        out = []
        for v in x[r].tolist():
            o = b0 * v + z0
            z0 = b1 * v - a1 * o + z1
            z1 = b2 * v - a2 * o
            out.append(o)
        y[r] = out
        z[r] = (z0, z1)
    return y


@lru_cache(maxsize=32)
def _block_matrices(coef: tuple[float, float, float, float, float]
                    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray,
                               FloatArray]:
    """For one section and a block of ``BLOCK`` samples: output = T·x + G·z and end state =
    H·x + F·z; F's powers F⁰…F^GROUP; Q and R carry the blocks' inputs (u) of a group to each
    block's start state and to the group's end."""
    b0, b1, b2, a1, a2 = coef
    n = BLOCK
    h = np.empty(n)  # impulse response
    hs = np.empty((n, 2))  # state after each step of the impulse response
    z0 = z1 = 0.0
    for j in range(n):
        v = 1.0 if j == 0 else 0.0
        o = b0 * v + z0
        z0, z1 = b1 * v - a1 * o + z1, b2 * v - a2 * o
        h[j] = o
        hs[j] = (z0, z1)
    lag = np.arange(n)[:, None] - np.arange(n)[None, :]
    t_mat = np.where(lag >= 0, h[np.clip(lag, 0, n - 1)], 0.0)
    h_mat = hs[::-1].T.copy()  # H[:, j]: an impulse at sample j has run n − j steps at the end
    g_mat = np.empty((n, 2))
    f_mat = np.empty((2, 2))
    for col, (s0, s1) in enumerate(((1.0, 0.0), (0.0, 1.0))):
        z0, z1 = s0, s1
        for j in range(n):
            o = z0
            z0, z1 = -a1 * o + z1, -a2 * o
            g_mat[j, col] = o
        f_mat[:, col] = (z0, z1)
    f_pow = np.empty((GROUP + 1, 2, 2))
    f_pow[0] = np.eye(2)
    for j in range(1, GROUP + 1):
        f_pow[j] = f_mat @ f_pow[j - 1]
    q_mat = np.zeros((2 * GROUP, 2 * GROUP))  # start of block j: Σ_{i<j} F^(j−1−i) u_i
    r_mat = np.empty((2, 2 * GROUP))  # end of the group: Σ_i F^(GROUP−1−i) u_i
    for j in range(GROUP):
        for i in range(j):
            q_mat[2 * j : 2 * j + 2, 2 * i : 2 * i + 2] = f_pow[j - 1 - i]
        r_mat[:, 2 * j : 2 * j + 2] = f_pow[GROUP - 1 - j]
    for arr in (t_mat, g_mat, h_mat, f_pow, q_mat, r_mat):
        arr.setflags(write=False)
    return t_mat, g_mat, h_mat, f_pow, q_mat, r_mat


@overload
def lfilter(b: ArrayLike, a: ArrayLike, x: ArrayLike, axis: int = -1, zi: None = None
            ) -> FloatArray: ...


@overload
def lfilter(b: ArrayLike, a: ArrayLike, x: ArrayLike, axis: int = -1, *, zi: ArrayLike
            ) -> tuple[FloatArray, FloatArray]: ...


def lfilter(b: ArrayLike, a: ArrayLike, x: ArrayLike, axis: int = -1,
            zi: ArrayLike | None = None) -> FloatArray | tuple[FloatArray, FloatArray]:
    """``scipy.signal.lfilter`` for filters of order 1 or 2 (one section; ``zi`` and the final
    states shaped like SciPy's: the other dimensions × order)."""
    bb = np.asarray(b, dtype=np.float64)
    aa = np.asarray(a, dtype=np.float64)
    order = max(bb.shape[0], aa.shape[0]) - 1
    if not 1 <= order <= 2 or aa[0] == 0.0:
        raise ValueError("lfilter here takes filters of order 1 or 2 with a[0] != 0")
    sos = np.zeros((1, 6))
    sos[0, : bb.shape[0]] = bb
    sos[0, 3 : 3 + aa.shape[0]] = aa
    if zi is None:
        return sosfilt(sos, x, axis=axis)
    z = np.asarray(zi, dtype=np.float64)
    full = np.zeros((1, *z.shape[:-1], 2))
    full[0, ..., :order] = z  # order 1: the second state stays 0 (b2 = a2 = 0)
    y, zf = sosfilt(sos, x, zi=full, axis=axis)
    return y, zf[0, ..., :order]


def sosfiltfilt(sos: ArrayLike, x: ArrayLike, axis: int = -1, padlen: int | None = None
                ) -> FloatArray:
    """``scipy.signal.sosfiltfilt`` (odd extension, steady-state start both ways)."""
    s = np.asarray(sos, dtype=np.float64)
    xx = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    n = xx.shape[-1]
    if padlen is None:
        ntaps = 2 * s.shape[0] + 1
        ntaps -= min(int((s[:, 2] == 0).sum()), int((s[:, 5] == 0).sum()))
        padlen = 3 * ntaps
    if n <= padlen:
        raise ValueError(f"the input must be longer than padlen={padlen}, got {n} samples")
    if padlen > 0:
        left = 2.0 * xx[..., :1] - xx[..., padlen:0:-1]
        right = 2.0 * xx[..., -1:] - xx[..., -2 : -padlen - 2 : -1]
        ext = np.concatenate((left, xx, right), axis=-1)
    else:
        ext = xx
    zi = sosfilt_zi(s)
    zshape = (s.shape[0], *ext.shape[:-1], 2)
    z0 = np.broadcast_to(zi.reshape(s.shape[0], *([1] * (ext.ndim - 1)), 2), zshape)
    y, _ = sosfilt(s, ext, zi=z0 * ext[..., 0][None, ..., None])
    y = y[..., ::-1]
    y, _ = sosfilt(s, y, zi=z0 * y[..., 0][None, ..., None])
    y = y[..., ::-1]
    if padlen > 0:
        y = y[..., padlen:-padlen]
    return np.ascontiguousarray(np.moveaxis(y, -1, axis))


def uniform_filter1d(x: ArrayLike, size: int, axis: int = -1) -> FloatArray:
    """Moving average over ``size`` samples along ``axis``, centred as
    ``scipy.ndimage.uniform_filter1d(x, size, axis)`` (window ``i − size//2 … i − size//2 +
    size − 1``, mode "reflect": the edges mirrored with the edge sample repeated)."""
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    xx = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    n = xx.shape[-1]
    if n == 0 or size == 1:
        return np.array(np.moveaxis(xx, -1, axis))
    before = size // 2
    idx = np.mod(np.arange(-before, n + size - 1 - before), 2 * n)
    idx = np.where(idx >= n, 2 * n - 1 - idx, idx)
    cs = np.cumsum(xx[..., idx], axis=-1)
    out = np.empty(xx.shape)
    out[..., 0] = cs[..., size - 1]
    out[..., 1:] = cs[..., size:] - cs[..., : n - 1]
    return np.ascontiguousarray(np.moveaxis(out / size, -1, axis))
