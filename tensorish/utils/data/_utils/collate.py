"""Collating samples into a batch, as torch's ``default_collate``: tensors are stacked,
NumPy arrays and numbers become tensors, strings stay lists, and containers (dicts, tuples,
namedtuples, lists) are collated field by field. ``collate(batch, collate_fn_map=...)`` lets a
program add its own types, as in torch."""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .... import _creation, _dtype
from ...._tensor import Tensor
from ....ops import stack

CollateMap = dict[type | tuple[type, ...], Callable]

np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _rebuild_mapping(data: collections.abc.Mapping, convert: Callable[[Any], Any]) -> Any:
    """``data`` with each value converted, in ``data``'s own mapping type where it can be."""
    try:
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update({key: convert(key) for key in data})
            return clone
        return type(data)({key: convert(key) for key in data})
    except TypeError:  # the mapping type cannot be built from a dict
        return {key: convert(key) for key in data}


def _rebuild_sequence(data: collections.abc.Sequence, parts: list) -> Any:
    """``parts`` in ``data``'s own sequence type where it can be."""
    try:
        if isinstance(data, collections.abc.MutableSequence):
            clone = copy.copy(data)
            for i, part in enumerate(parts):
                clone[i] = part
            return clone
        return type(data)(parts)
    except TypeError:  # the sequence type cannot be built from a list
        return parts


def default_convert(data: Any) -> Any:
    """``data`` with every NumPy array and NumPy scalar turned into a tensor, through any
    nesting of containers (what a DataLoader without batching applies to each sample).

    >>> import numpy as np, tensorish
    >>> tensorish.utils.data.default_convert({"x": np.array([1, 2]), "name": "a"})
    {'x': tensor([1, 2]), 'name': 'a'}
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if isinstance(data, np.ndarray) and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return _creation.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, lambda key: default_convert(data[key]))
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def collate(batch: Sequence, *, collate_fn_map: CollateMap | None = None) -> Any:
    """Collate ``batch`` (a list of samples), looking each sample type up in
    ``collate_fn_map`` first and recursing into containers.

    >>> import tensorish
    >>> from tensorish.utils.data._utils.collate import collate, default_collate_fn_map
    >>> collate([(1, "a"), (2, "b")], collate_fn_map=default_collate_fn_map)
    [tensor([1, 2]), ('a', 'b')]
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(
            elem, lambda key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
        )
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        return columns if isinstance(elem, tuple) else _rebuild_sequence(elem, columns)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch: list, *, collate_fn_map: CollateMap | None = None) -> Any:
    return stack(batch, 0)


def collate_numpy_array_fn(batch: list, *, collate_fn_map: CollateMap | None = None) -> Any:
    if np_str_obj_array_pattern.search(batch[0].dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(batch[0].dtype))
    return collate([_creation.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: list, *, collate_fn_map: CollateMap | None = None) -> Any:
    # NOTE: through one array, so the scalars' dtype is kept (_creation.as_tensor of a list of
    # np.int32 gives int64; torch's gives int32).
    return _creation.as_tensor(np.asarray(batch))


def collate_float_fn(batch: list, *, collate_fn_map: CollateMap | None = None) -> Any:
    return _creation.tensor(batch, dtype=_dtype.float64)


def collate_int_fn(batch: list, *, collate_fn_map: CollateMap | None = None) -> Any:
    return _creation.tensor(batch)


def collate_str_fn(batch: list, *, collate_fn_map: CollateMap | None = None) -> Any:
    return batch


default_collate_fn_map: CollateMap = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch: tensors and NumPy arrays are stacked along a new
    first dimension, numbers become a 1-d tensor (floats as float64), strings stay a list, and
    dicts, tuples, namedtuples and lists are collated field by field.

    >>> import tensorish
    >>> default_collate([{"x": 1.0, "y": "a"}, {"x": 2.0, "y": "b"}])
    {'x': tensor([1., 2.], dtype=tensorish.float64), 'y': ['a', 'b']}
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
