"""Make NumPy answer like another CPU would: a test-suite tool, not part of adcalc.

With ``ADCALC_PERTURB=1`` in the environment and this directory on ``PYTHONPATH`` (Python imports
``sitecustomize`` at start-up, in every subprocess that inherits the environment), the float64
results of NumPy's vectorised transcendental ufuncs and of its BLAS/LAPACK-backed functions move
``ADCALC_PERTURB_ULPS`` (default 1) ulps away from zero (toward it with
``ADCALC_PERTURB_TOWARD_ZERO=1``; either way odd functions stay odd): still within the documented error of some
CPU's kernel (SVML on AVX-512: 4 ulps), but not the float this CPU's kernel returns.  A test that
compares such a result bit for bit with ``math``, with a literal or with recorded output, or
within less than the numeric policy's bound, then fails here, as it would on a CPU whose NumPy
picks another kernel (AVX-512 SVML, AVX2, the C library) or whose OpenBLAS picks another kernel.

Left alone, because every CPU computes them the same:

- 0, ±inf, nan and any value whose significand ends in ``ADCALC_PERTURB_ZEROS`` (default 20) zero
  bits: 1 = exp(0), 2 = cbrt(8), integer sums of products; a transcendental result with random
  low bits ends so once in 2**20;
- ``power`` with a scalar exponent -1, 0, 0.5, 1 or 2: NumPy's power loop computes those as
  reciprocal, 1, sqrt, copy and square (correctly rounded) before any SIMD kernel;
- entries of ``matmul``/``dot`` that are one product, or the sum of two exact products (any
  kernel, with or without FMA, rounds that once); ``linalg.norm`` is ``sqrt(dot(x, x))``: the dot
  moves (by that rule), the sqrt is correctly rounded;
- ``np.sum``/``mean`` (pairwise summation in plain C: the same order on every CPU) and the
  correctly rounded + - * / sqrt.

NumPy is patched when it is first imported, never imported here (scalar-only runs that avoid
NumPy still do).  Calls through the ``@`` and ``**`` operators of arrays and through ndarray
methods reach the C functions directly and are not perturbed; nor is a ``python -I`` subprocess.
``ADCALC_PERTURB_MARK=1`` prints ``perturb-numpy: on (pid)`` on stderr when NumPy is patched.

Two other ways to see another CPU's floats, without this module: ``NPY_DISABLE_CPU_FEATURES="X86_V3
X86_V4 AVX512_ICL AVX512_SPR"`` (NumPy's baseline kernels) and ``OPENBLAS_CORETYPE=Haswell`` (or
``Sandybridge``: OpenBLAS's kernels for those CPUs).  See tests/README.md.
"""

from __future__ import annotations

import os
import sys

if os.environ.get("ADCALC_PERTURB") == "1":
    import importlib.abc
    import importlib.machinery

    _ZEROS = int(os.environ.get("ADCALC_PERTURB_ZEROS", "20"))
    _ULPS = int(os.environ.get("ADCALC_PERTURB_ULPS", "1"))
    _AWAY = os.environ.get("ADCALC_PERTURB_TOWARD_ZERO") != "1"
    _UFUNCS = ("exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "cbrt", "sin", "cos", "tan", "arcsin",
               "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "power",
               "float_power")
    _FUNCS = ("matmul", "dot", "vdot", "inner", "einsum", "tensordot")
    _LINALG = ("norm", "eigvalsh", "eigh", "solve", "inv", "det", "lstsq")

    def _patch(numpy: object) -> None:  # noqa: C901 - one closure per kind of function
        np = numpy
        low = np.uint64((1 << _ZEROS) - 1)
        inf = np.float64(np.inf)

        def nudge_array(a: object) -> None:
            """Move every non-simple finite float64 of ``a`` (an array, in place) _ULPS ulps away from 0."""
            if a.dtype != np.float64 or a.size == 0 or not a.flags.writeable:
                return
            if not a.flags.c_contiguous:
                b = np.ascontiguousarray(a)
                nudge_array(b)
                a[...] = b
                return
            flat = a.reshape(-1)
            mask = np.isfinite(flat) & (flat != 0) & ((flat.view(np.uint64) & low) != 0)
            if mask.any():
                v = flat[mask]
                for _ in range(_ULPS):
                    v = np.nextafter(v, np.copysign(inf, v) if _AWAY else np.copysign(0.0, v))
                flat[mask] = v

        def nudge(r: object) -> object:
            if isinstance(r, tuple):
                return tuple(nudge(x) for x in r)
            if isinstance(r, np.ndarray):
                if r.dtype == np.float64:
                    nudge_array(r)
                return r
            if isinstance(r, np.float64):
                a = np.array(r)
                nudge_array(a)
                return np.float64(a[()])
            if type(r) is float:
                a = np.array(r)
                nudge_array(a)
                return float(a[()])
            return r

        _VALUES = (int, float, complex, np.ndarray, np.generic, list, tuple)  # what a kernel computes on

        class PerturbedUfunc:
            """A NumPy ufunc whose float64 results move (see the module docstring)."""

            def __init__(self, uf: object) -> None:
                object.__setattr__(self, "_uf", uf)

            def __call__(self, *args: object, **kwargs: object) -> object:
                if not all(isinstance(a, _VALUES) for a in args):  # e.g. code generation's tracer
                    return self._uf(*args, **kwargs)
                out = kwargs.get("out")
                r = self._uf(*args, **kwargs)
                if out is not None:
                    nudge(r)
                    return r
                return nudge(r)

            def __getattr__(self, name: str) -> object:
                return getattr(self._uf, name)

            def __repr__(self) -> str:
                return f"<perturbed {self._uf!r}>"

        def perturbed(f: object) -> object:
            def call(*args: object, **kwargs: object) -> object:
                return nudge(f(*args, **kwargs))

            call.__name__ = getattr(f, "__name__", "f")
            call.__doc__ = getattr(f, "__doc__", None)
            call.__wrapped__ = f
            return call

        class PerturbedPower(PerturbedUfunc):
            """NumPy's power loop computes x^y for a scalar y in (-1, 0, 0.5, 1, 2) exactly, on every
            CPU (reciprocal, 1, sqrt, copy, square: correctly rounded), before any SIMD kernel: those
            results stay as they are."""

            def __call__(self, *args: object, **kwargs: object) -> object:
                if not all(isinstance(a, _VALUES) for a in args):  # e.g. code generation's tracer
                    return self._uf(*args, **kwargs)
                y = args[1] if len(args) > 1 else kwargs.get("x2")
                if np.ndim(y) == 0 and float(np.asarray(y).real) in (-1.0, 0.0, 0.5, 1.0, 2.0):
                    return self._uf(*args, **kwargs)
                if isinstance(y, np.ndarray) and y.size and all(s == 0 for s in y.strides) \
                        and float(y.flat[0]) in (-1.0, 0.0, 0.5, 1.0, 2.0):
                    return self._uf(*args, **kwargs)
                return PerturbedUfunc.__call__(self, *args, **kwargs)

        def norm(x: object, ord: object = None, axis: object = None, keepdims: bool = False) -> object:
            """numpy.linalg.norm's 2-norm is sqrt(dot(x, x)): the dot (a BLAS kernel) moves, the
            correctly rounded sqrt does not."""
            a = np.asarray(x)
            if ord is None and axis is None and not keepdims and a.dtype == np.float64:
                flat = a.ravel(order="K")
                s = np.float64(flat.dot(flat))
                return np.sqrt(s if blas_sensitive(flat, flat) is not None and not blas_sensitive(flat, flat)
                               else nudge(s))
            return nudge(_norm(x, ord, axis, keepdims))

        _norm = np.linalg.norm

        def exact_products(a: object, b: object) -> object:
            """Whether ``a * b`` (broadcast) is exact, elementwise (Dekker's two-product error is 0)."""
            with np.errstate(all="ignore"):
                p = a * b
                ca, cb = 134217729.0 * a, 134217729.0 * b
                ah, bh = ca - (ca - a), cb - (cb - b)
                al, bl = a - ah, b - bh
                return (((ah * bh - p) + ah * bl + al * bh) + al * bl) == 0

        def blas_sensitive(a: object, b: object) -> object:
            """For ``a @ b`` (1-D or 2-D float operands): True where a kernel's order or FMA could change
            the result: more than two products, or two of which one is inexact.  None: cannot tell."""
            a, b = np.asarray(a), np.asarray(b)
            if a.dtype != np.float64 or b.dtype != np.float64 or not (1 <= a.ndim <= 2 and 1 <= b.ndim <= 2):
                return None
            k = a.shape[-1]
            if k > 2 or a.size * b.size > 10**6:
                return None
            a3 = a[..., :, None] if a.ndim == 2 else a[:, None]            # (M, K, 1) or (K, 1)
            b3 = b[None, :, :] if b.ndim == 2 else b[:, None]               # (1, K, N) or (K, 1)
            if a.ndim == 1 and b.ndim == 2:
                exact = exact_products(a[:, None], b).all(axis=0)           # (N,)
            elif a.ndim == 2 and b.ndim == 1:
                exact = exact_products(a, b[None, :]).all(axis=1)           # (M,)
            elif a.ndim == 1:
                exact = exact_products(a3, b3).all()
            else:
                exact = exact_products(a3, b3).all(axis=1)                  # (M, N)
            return ~np.asarray(exact) if k == 2 else np.zeros(np.shape(exact), bool)

        class PerturbedMatmul(PerturbedUfunc):
            """matmul and dot (OpenBLAS picks its kernel by CPU): entries a sum of at most two exact
            products, or of one product, are correctly rounded by every kernel and stay."""

            def __call__(self, *args: object, **kwargs: object) -> object:
                r = self._uf(*args, **kwargs)
                where = blas_sensitive(args[0], args[1]) if len(args) >= 2 and not kwargs else None
                if where is None:
                    return nudge(r)
                if np.ndim(r) == 0:
                    return nudge(r) if bool(where) else r
                moved = nudge(np.array(r))
                r = np.array(r)
                r[where] = moved[where]
                return r

        try:  # generated code's allow-list names NumPy's ufuncs by type: read it before they are wrapped
            from adcalc.ops.codegen import safety

            safety._array_names()  # noqa: SLF001 - cached for the process: the real ufuncs' names
        except ImportError:
            pass
        for name in _UFUNCS:
            if hasattr(np, name):
                setattr(np, name, (PerturbedPower if name == "power" else PerturbedUfunc)(getattr(np, name)))
        for name in _FUNCS:
            f = getattr(np, name, None)
            if f is not None:
                wrapped = PerturbedMatmul(f) if name in ("matmul", "dot") else (
                    PerturbedUfunc(f) if isinstance(f, np.ufunc) else perturbed(f))
                setattr(np, name, wrapped)
        for name in _LINALG:
            if hasattr(np.linalg, name):
                setattr(np.linalg, name, norm if name == "norm" else perturbed(getattr(np.linalg, name)))
        if os.environ.get("ADCALC_PERTURB_MARK") == "1":
            print(f"perturb-numpy: on ({os.getpid()})", file=sys.stderr)

    class _Loader(importlib.abc.Loader):
        def __init__(self, inner: object) -> None:
            self.inner = inner

        def create_module(self, spec: object) -> object:
            return self.inner.create_module(spec)

        def exec_module(self, module: object) -> None:
            self.inner.exec_module(module)
            _patch(module)

    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname: str, path: object = None, target: object = None) -> object:
            if fullname != "numpy":
                return None
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader)
            return spec

    sys.meta_path.insert(0, _Finder())
