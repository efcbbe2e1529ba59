"""The ways a load fails: a malformed file, a file that needs what tensorish lacks, and a pickle
that asks for something torch's weights-only loader refuses."""

from __future__ import annotations

import pickle


def bad_file(why: str) -> RuntimeError:
    return RuntimeError(f"tensorish.load: not a valid tensorish file: {why}")


def unsupported(what: str) -> RuntimeError:
    return RuntimeError(f"tensorish.load: {what} is not supported by tensorish")


def refused(message: str) -> pickle.UnpicklingError:
    """torch's weights-only refusal, less its advice to allowlist globals or to unpickle
    unrestricted (tensorish has neither)."""
    return pickle.UnpicklingError(
        "Weights only load failed. tensorish.load runs no code from a file: it loads only what "
        f"torch.load(weights_only=True) allows.\n\nWeightsUnpickler error: {message}"
    )
